using SandboxRt.Runtime.Channels;
using SandboxRt.Runtime.Hypervisors.SharedFs;
using SandboxRt.Runtime.Processes;

namespace SandboxRt.Runtime.Hypervisors.CloudHypervisor;

/// <summary>
/// A running cloud-hypervisor: stopped through its API (vm.shutdown, vmm.shutdown), then SIGKILL after the
/// grace period; its exit, and its end when virtiofsd dies, are <see cref="VmmProcess"/>'s, as with QEMU.
/// </summary>
internal sealed class ClhVirtualMachine : IVirtualMachine
{
    private readonly ClhStateFiles _files;
    private readonly VmmProcess _vmm;

    public ClhVirtualMachine(ChildProcess process, long launchedTimestamp, ClhStateFiles files, IAgentConnector connector, TimeSpan grace, TimeSpan apiTimeout,
        VirtiofsDaemon? virtiofsd, SharedFsPlan? sharedFs, Task logs)
    {
        LaunchedTimestamp = launchedTimestamp;
        _files = files;
        AgentConnector = connector;
        SharedFs = sharedFs;
        _vmm = new VmmProcess("cloud-hypervisor", new ChildProcessAdapter(process), virtiofsd is null ? null : new VirtiofsDaemonAdapter(virtiofsd), logs, grace,
            cancellationToken => ClhShutdown.RequestAsync(files.ApiSocket, apiTimeout, cancellationToken), files.RemoveAll);
    }

    public int Pid => _vmm.Pid;
    public long LaunchedTimestamp { get; }
    public IReadOnlyList<int> HelperPids => _vmm.HelperPids;
    public string ConsoleLogPath => _files.ConsoleLog;
    public string HypervisorLogPath => _files.HypervisorLog;
    public IAgentConnector AgentConnector { get; }
    public SharedFsPlan? SharedFs { get; }
    public Task<string> Exited => _vmm.Exited;

    /// <summary>Not wired in this build: Cloud Hypervisor grows through vm.resize, which needs max_vcpus and hotplug_size at vm.create.</summary>
    public Task<(int Vcpus, int MemoryMib)> GrowAsync(int vcpus, int memoryMib, CancellationToken cancellationToken = default) =>
        throw new HypervisorException($"cannot grow the VM to {vcpus} vCPUs and {memoryMib} MiB: hot-plug is not implemented for cloud-hypervisor in this build (vm.resize)");

    public Task StopAsync(CancellationToken cancellationToken = default) => _vmm.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync() => await StopAsync();
}
