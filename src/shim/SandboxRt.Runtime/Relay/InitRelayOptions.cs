using SandboxRt.Runtime.Configuration;

namespace SandboxRt.Runtime.Relay;

/// <summary>What the relay of a container's init needs (from `sandboxrt create`).</summary>
public sealed record InitRelayOptions(string Root, string Id, string Bundle, HypervisorConfig Config, string? ConsoleSocket)
{
    /// <summary>
    /// The relay was started in a network namespace of the container's own (RelayLauncher unshared it):
    /// the VM mirrors that namespace after the prestart hooks configured it (Docker's libnetwork-setkey).
    /// </summary>
    public bool OwnNetwork { get; init; }

    /// <summary>
    /// The container whose sandbox this one joins (create found that the spec's network namespace is that
    /// container's: Network/NetworkJoin.cs); null for a VM of its own.
    /// </summary>
    public string? JoinSandbox { get; init; }

    /// <summary>How the sandbox starts: null for a VM (<see cref="Sandboxes.Sandbox.StartAsync"/>), or the unit tests' fake.</summary>
    public Sandboxes.HostSandboxStarter? StartSandbox { get; init; }
}
