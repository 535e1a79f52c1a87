using SandboxRt.Runtime.Channels;
using SandboxRt.Runtime.Hypervisors.SharedFs;
using SandboxRt.Runtime.Processes;

namespace SandboxRt.Runtime.Hypervisors.CloudHypervisor;

/// <summary>
/// A running cloud-hypervisor: stopped through its API (vm.shutdown, vmm.shutdown), then SIGKILL after the
/// grace period. Its exit counts once its output has reached its log. A VM whose virtiofsd died is ended,
/// as with QEMU (see QemuVirtualMachine).
/// </summary>
internal sealed class ClhVirtualMachine : IVirtualMachine
{
    private static readonly TimeSpan LogDrainTimeout = TimeSpan.FromSeconds(2);
    private readonly ChildProcess _process;
    private readonly ClhStateFiles _files;
    private readonly TimeSpan _grace;
    private readonly TimeSpan _apiTimeout;
    private readonly VirtiofsDaemon? _virtiofsd;
    private readonly Task _logs;
    private int _stopped;

    public ClhVirtualMachine(ChildProcess process, long launchedTimestamp, ClhStateFiles files, IAgentConnector connector, TimeSpan grace, TimeSpan apiTimeout,
        VirtiofsDaemon? virtiofsd, SharedFsPlan? sharedFs, Task logs)
    {
        _process = process;
        LaunchedTimestamp = launchedTimestamp;
        _files = files;
        AgentConnector = connector;
        _grace = grace;
        _apiTimeout = apiTimeout;
        _virtiofsd = virtiofsd;
        SharedFs = sharedFs;
        _logs = logs;
        Exited = DescribeExitAsync();
        if (virtiofsd is not null)
            _ = StopWhenFileServerDiesAsync(virtiofsd);
    }

    public int Pid => _process.Pid;
    public long LaunchedTimestamp { get; }
    public IReadOnlyList<int> HelperPids => _virtiofsd is null ? [] : [_virtiofsd.Pid];
    public string ConsoleLogPath => _files.ConsoleLog;
    public string HypervisorLogPath => _files.HypervisorLog;
    public IAgentConnector AgentConnector { get; }
    public SharedFsPlan? SharedFs { get; }
    public Task<string> Exited { get; }

    /// <summary>Not wired in this build: Cloud Hypervisor grows through vm.resize, which needs max_vcpus and hotplug_size at vm.create.</summary>
    public Task<(int Vcpus, int MemoryMib)> GrowAsync(int vcpus, int memoryMib, CancellationToken cancellationToken = default) =>
        throw new HypervisorException($"cannot grow the VM to {vcpus} vCPUs and {memoryMib} MiB: hot-plug is not implemented for cloud-hypervisor in this build (vm.resize)");

    private async Task<string> DescribeExitAsync()
    {
        var status = await _process.Exited;
        await Task.WhenAny(_logs, Task.Delay(LogDrainTimeout));
        var description = $"cloud-hypervisor (pid {_process.Pid}) {status}";
        if (_virtiofsd is not null && await _virtiofsd.DescribeExitAsync() is { } helper)
            description += $"; {helper}";
        return description;
    }

    private async Task StopWhenFileServerDiesAsync(VirtiofsDaemon virtiofsd)
    {
        await Task.WhenAny(virtiofsd.Exited, _process.Exited);
        if (!_process.HasExited && Volatile.Read(ref _stopped) == 0)
            _process.Signal(Signals.SIGKILL);
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            await _process.Exited;
            return;
        }
        try
        {
            if (!_process.HasExited)
                await ClhShutdown.RequestAsync(_files.ApiSocket, _apiTimeout, cancellationToken);
            if (!await _process.WaitAsync(_grace, cancellationToken))
                _process.Signal(Signals.SIGKILL);
            await Exited;
            if (_virtiofsd is not null)
                await _virtiofsd.StopAsync();
        }
        finally
        {
            _files.RemoveAll();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
