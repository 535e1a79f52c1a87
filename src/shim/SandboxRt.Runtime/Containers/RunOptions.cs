using SandboxRt.Runtime.Configuration;

namespace SandboxRt.Runtime.Containers;

/// <summary>What `sandboxrt run` was asked to do.</summary>
public sealed record RunOptions(string Id, string Bundle, string StateRoot, HypervisorConfig Config)
{
    /// <summary>Print where the time went (to the diagnostics writer) when the container ends.</summary>
    public bool Timings { get; init; }

    /// <summary>How the sandbox starts: null for a VM (<see cref="Sandboxes.Sandbox.StartAsync"/>), or the unit tests' fake.</summary>
    public Sandboxes.HostSandboxStarter? StartSandbox { get; init; }
}
