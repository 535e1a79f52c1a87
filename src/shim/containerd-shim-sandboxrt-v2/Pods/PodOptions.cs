using Microsoft.Extensions.Logging;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Core;
using SandboxRt.Runtime.Sandboxes;

namespace SandboxRt.Shim.Pods;

/// <summary>What a pod needs to start its VM: its id (the sandbox container's), where its state lives, and the hypervisor config.</summary>
internal sealed record PodOptions(string Id, string StateRoot, HypervisorConfig Config)
{
    /// <summary>How the pod's sandbox starts: a VM (<see cref="Sandbox.StartAsync"/>), or the unit tests' fake.</summary>
    public Func<SandboxStartOptions, ILogger, CancellationToken, Task<IGuestSandbox>> StartSandbox { get; init; } =
        async (options, log, cancellationToken) => await Sandbox.StartAsync(options, log, cancellationToken);
}
