using SandboxRt.Runtime.Channels;
using SandboxRt.Runtime.Hypervisors.Jail;
using SandboxRt.Runtime.Hypervisors.SharedFs;
using SandboxRt.Runtime.Processes;

namespace SandboxRt.Runtime.Hypervisors.Qemu;

/// <summary>
/// A running QEMU: stopped through QMP "quit", then SIGKILL after the grace period (the lifecycle is
/// <see cref="VmmProcess"/>'s). Its exit counts once its console and output have reached the logs, so a
/// boot error quotes QEMU's last words. Once it is gone, its jail user is free again.
/// </summary>
internal sealed class QemuVirtualMachine : IVirtualMachine
{
    private static readonly TimeSpan QmpTimeout = TimeSpan.FromSeconds(2);
    private readonly QemuStateFiles _files;
    private readonly VmmProcess _vmm;

    public QemuVirtualMachine(ChildProcess process, long launchedTimestamp, QemuStateFiles files, IAgentConnector connector, TimeSpan grace,
        VirtiofsDaemon? virtiofsd, SharedFsPlan? sharedFs, Task logs)
    {
        LaunchedTimestamp = launchedTimestamp;
        SharedFs = sharedFs;
        _files = files;
        AgentConnector = connector;
        _vmm = new VmmProcess("QEMU", new ChildProcessAdapter(process), virtiofsd is null ? null : new VirtiofsDaemonAdapter(virtiofsd), logs, grace,
            QuitAsync, () =>
            {
                if (process.HasExited)
                    JailUserPool.ReleaseRecorded(files.JailUser);
                files.RemoveAll();
            });
    }

    public int Pid => _vmm.Pid;
    public long LaunchedTimestamp { get; }
    public IReadOnlyList<int> HelperPids => _vmm.HelperPids;
    public string ConsoleLogPath => _files.ConsoleLog;
    public string HypervisorLogPath => _files.HypervisorLog;
    public IAgentConnector AgentConnector { get; }
    public Task<string> Exited => _vmm.Exited;
    public SharedFsPlan? SharedFs { get; }

    public async Task<(int Vcpus, int MemoryMib)> GrowAsync(int vcpus, int memoryMib, CancellationToken cancellationToken = default)
    {
        await using var qmp = await QmpClient.ConnectAsync(_files.QmpSocket, cancellationToken);
        return await QemuHotplug.GrowAsync(qmp, vcpus, memoryMib, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken = default) => _vmm.StopAsync(cancellationToken);

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
