using SandboxRt.Runtime.Channels;

namespace SandboxRt.Runtime.Hypervisors;

/// <summary>One running VM: its hypervisor process, its console, the way to its agent, and its end.</summary>
public interface IVirtualMachine : IVmHotplug, IAsyncDisposable
{
    /// <summary>The hypervisor's process id.</summary>
    int Pid { get; }

    /// <summary>When the hypervisor process was started (a <see cref="System.Diagnostics.Stopwatch"/> timestamp).</summary>
    long LaunchedTimestamp { get; }

    /// <summary>Helper processes the VM depends on (virtiofsd), to be stopped with it.</summary>
    IReadOnlyList<int> HelperPids { get; }

    /// <summary>The guest serial console, as a file in the sandbox's state directory.</summary>
    string ConsoleLogPath { get; }

    /// <summary>The hypervisor's own stdout and stderr.</summary>
    string HypervisorLogPath { get; }

    IAgentConnector AgentConnector { get; }

    /// <summary>How the shared directory reaches the guest, or null when the VM has none.</summary>
    SharedFsPlan? SharedFs { get; }

    /// <summary>Restored from a template, or booted cold (and why).</summary>
    VmStart Start { get; }

    /// <summary>Completes with a description of how the hypervisor process ended.</summary>
    Task<string> Exited { get; }

    /// <summary>Clean shutdown, then SIGKILL after the grace period; removes every socket and file it made.</summary>
    Task StopAsync(CancellationToken cancellationToken = default);
}
