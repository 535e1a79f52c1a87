using SandboxRt.Runtime.Channels;

namespace SandboxRt.Runtime.Hypervisors;

/// <summary>
/// A VM run by a VMM process: its <see cref="VmmProcess"/> (exit, stop) and the facts its driver launched
/// it with. A driver's VM class adds only what is its own: how it grows and shrinks, and the clean stop request and
/// clean-up it hands to the VmmProcess.
/// </summary>
internal abstract class VmmVirtualMachine(VmmProcess vmm, long launchedTimestamp, string consoleLogPath, string hypervisorLogPath,
    IAgentConnector connector, SharedFsPlan? sharedFs) : IVirtualMachine
{
    public int Pid => vmm.Pid;
    public long LaunchedTimestamp => launchedTimestamp;
    public IReadOnlyList<int> HelperPids => vmm.HelperPids;
    public string ConsoleLogPath => consoleLogPath;
    public string HypervisorLogPath => hypervisorLogPath;
    public IAgentConnector AgentConnector => connector;
    public SharedFsPlan? SharedFs => sharedFs;
    public Task<string> Exited => vmm.Exited;

    /// <summary>Restored from a template, or booted cold (a driver that restores sets it once it knows).</summary>
    public VmStart Start { get; set; } = VmStart.Cold;

    public abstract Task<(int Vcpus, int MemoryMib)> GrowAsync(int vcpus, int memoryMib, CancellationToken cancellationToken = default);

    public abstract Task<(int Vcpus, int MemoryMib, IReadOnlyList<string> Kept)> ShrinkAsync(int vcpus, int memoryMib, CancellationToken cancellationToken = default);

    public Task StopAsync(CancellationToken cancellationToken = default) => vmm.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync() => await StopAsync();
}
