using System.Net.Sockets;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Shim.Pods;

namespace SandboxRt.Shim.Daemon;

/// <summary>
/// What a shim daemon serves a pod with: the pod and where it lives, the listening ttrpc socket `start`
/// made, containerd's events address, the configuration, and how the pod's VM starts (a new one, or
/// the cached one a VM cache entry already runs).
/// </summary>
internal sealed record ShimServeOptions(string PodId, string Namespace, string Directory, string Socket, string EventsAddress, Socket Listener, HypervisorConfig Config)
{
    /// <summary>The pod's options (its VM's start among them).</summary>
    public PodOptions Pod => StartSandbox is null ? new(PodId, Directory, Config) : new(PodId, Directory, Config) { StartSandbox = StartSandbox };

    public Func<Runtime.Sandboxes.SandboxStartOptions, Microsoft.Extensions.Logging.ILogger, CancellationToken, Task<Runtime.Core.IGuestSandbox>>? StartSandbox { get; init; }

    /// <summary>Runs after the pod's VM stopped and the daemon's directory went (a VM cache entry removes its own).</summary>
    public Func<Task>? AfterStopAsync { get; init; }
}
