using Microsoft.Extensions.Logging;
using SandboxRt.Runtime.Core;
using SandboxRt.Runtime.Network;

namespace SandboxRt.Runtime.Sandboxes;

/// <summary>
/// What the runc CLI's host process for a container (Relay/ContainerHost: the relay of `create`, and
/// `sandboxrt run`) uses of its sandbox beyond the container flow's <see cref="IGuestSandbox"/>: where its
/// state lives, the pids its record keeps, how the boot went, and the agent served to later CLI calls.
/// <see cref="Sandbox"/> is the real one; the unit tests' fake runs ContainerHost and ContainerRunner without a VM.
/// </summary>
public interface IHostSandbox : IGuestSandbox
{
    /// <summary>The sandbox's state directory (the container's, in runc-CLI mode).</summary>
    string StateDirectory { get; }

    /// <summary>Helper processes the VM depends on (virtiofsd), for the record delete cleans up from.</summary>
    IReadOnlyList<int> HelperPids { get; }

    /// <summary>The pod network the VM mirrors, when it was started in one.</summary>
    PodNetwork? Network { get; }

    /// <summary>Where the boot time went, when it was measured.</summary>
    BootBreakdown? Boot { get; }

    /// <summary>Wall time from launching the hypervisor to the agent's first answer.</summary>
    TimeSpan BootTime { get; }

    /// <summary>
    /// Serves this sandbox's agent on the Unix socket <paramref name="socketPath"/> (later CLI calls reach
    /// it there) and returns once it answers there; disposing the result stops serving.
    /// </summary>
    Task<IAsyncDisposable> ServeAgentAsync(string socketPath, ILogger log);
}
