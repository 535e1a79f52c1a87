using SandboxRt.Runtime.Channels;

namespace SandboxRt.Runtime.Hypervisors;

/// <summary>One running VM: its hypervisor process, its console, the way to its agent, and its end.</summary>
public interface IVirtualMachine : IAsyncDisposable
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

    /// <summary>
    /// Hot-plugs vCPUs and memory until the VM has at least this much (never shrinks); returns what it
    /// has then. Fails with <see cref="HypervisorException"/> when the VM has no room (its maximums, its
    /// machine type). The guest still has to bring them online (IAgentGuest.OnlineCpuMemAsync).
    /// </summary>
    Task<(int Vcpus, int MemoryMib)> GrowAsync(int vcpus, int memoryMib, CancellationToken cancellationToken = default);

    /// <summary>
    /// Unplugs hot-plugged vCPUs and memory the VM has beyond this much, as far as the guest gives them
    /// back (never the boot size); returns what it has then, and a line naming each device the guest kept.
    /// </summary>
    Task<(int Vcpus, int MemoryMib, IReadOnlyList<string> Kept)> ShrinkAsync(int vcpus, int memoryMib, CancellationToken cancellationToken = default);

    /// <summary>Clean shutdown, then SIGKILL after the grace period; removes every socket and file it made.</summary>
    Task StopAsync(CancellationToken cancellationToken = default);
}
