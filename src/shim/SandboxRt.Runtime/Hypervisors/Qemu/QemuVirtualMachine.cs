using SandboxRt.Runtime.Channels;
using SandboxRt.Runtime.Hypervisors.Jail;
using SandboxRt.Runtime.Processes;

using SandboxRt.Runtime.Hypervisors.SharedFs;

namespace SandboxRt.Runtime.Hypervisors.Qemu;

/// <summary>
/// A running QEMU: stopped through QMP "quit", then SIGKILL after the grace period. Its exit counts once
/// its output has reached the logs (the pumps end when QEMU's ends of the console and the pipe close),
/// so a boot error quotes QEMU's last words. Once it is gone, its jail user is free again.
/// </summary>
internal sealed class QemuVirtualMachine : IVirtualMachine
{
    private static readonly TimeSpan QmpTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan LogDrainTimeout = TimeSpan.FromSeconds(2);
    private readonly ChildProcess _process;
    private readonly QemuStateFiles _files;
    private readonly TimeSpan _grace;
    private readonly Task _logs;
    private int _stopped;

    private readonly VirtiofsDaemon? _virtiofsd;

    public QemuVirtualMachine(ChildProcess process, long launchedTimestamp, QemuStateFiles files, IAgentConnector connector, TimeSpan grace,
        VirtiofsDaemon? virtiofsd, SharedFsPlan? sharedFs, Task logs)
    {
        LaunchedTimestamp = launchedTimestamp;
        _process = process;
        _virtiofsd = virtiofsd;
        _logs = logs;
        SharedFs = sharedFs;
        _files = files;
        _grace = grace;
        AgentConnector = connector;
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
    public Task<string> Exited { get; }
    public SharedFsPlan? SharedFs { get; }

    private async Task<string> DescribeExitAsync()
    {
        var status = await _process.Exited;
        await Task.WhenAny(_logs, Task.Delay(LogDrainTimeout));
        var description = $"QEMU (pid {_process.Pid}) {status}";
        if (_virtiofsd is not null && await _virtiofsd.DescribeExitAsync() is { } helper)
            description += $"; {helper}";
        return description;
    }

    /// <summary>
    /// A VM whose virtiofsd died has lost its containers' root file systems for good: file access in the
    /// guest hangs from then on and the guest cannot tell the host. It is ended, so that whoever waits on
    /// the VM (the relay, the shim) sees it go and reports the containers as killed (Kata stops its sandbox
    /// when virtiofsd dies too); before this an exec in such a VM hung forever.
    /// </summary>
    private async Task StopWhenFileServerDiesAsync(VirtiofsDaemon virtiofsd)
    {
        await Task.WhenAny(virtiofsd.Exited, _process.Exited);
        if (!_process.HasExited && Volatile.Read(ref _stopped) == 0)
            _process.Signal(Signals.SIGKILL);
    }

    public async Task<(int Vcpus, int MemoryMib)> GrowAsync(int vcpus, int memoryMib, CancellationToken cancellationToken = default)
    {
        await using var qmp = await QmpClient.ConnectAsync(_files.QmpSocket, cancellationToken);
        return await QemuHotplug.GrowAsync(qmp, vcpus, memoryMib, cancellationToken);
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
                await QuitAsync(cancellationToken);
            if (!await _process.WaitAsync(_grace, cancellationToken))
                _process.Signal(Signals.SIGKILL);
            await Exited;
            if (_virtiofsd is not null)
                await _virtiofsd.StopAsync();
        }
        finally
        {
            if (_process.HasExited)
                JailUserPool.ReleaseRecorded(_files.JailUser);
            _files.RemoveAll();
        }
    }

    private async Task QuitAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(QmpTimeout);
        try
        {
            await using var qmp = await QmpClient.ConnectAsync(_files.QmpSocket, timeout.Token);
            await qmp.ExecuteAsync("quit", cancellationToken: timeout.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or HypervisorException or System.Net.Sockets.SocketException)
        {
            // QEMU is wedged or already going: the grace period and SIGKILL take over.
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
