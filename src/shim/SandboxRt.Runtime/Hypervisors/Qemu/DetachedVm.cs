using SandboxRt.Interop;
using SandboxRt.Runtime.Processes;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Hypervisors.Qemu;

/// <summary>
/// A VM started by another process (the relay of an earlier CLI call): stopped through its QMP socket,
/// then SIGKILL, identified by pid and start time so that a reused pid is never signalled. Its jail
/// user is freed once it is gone (a QEMU that survived SIGKILL keeps its user reserved).
/// </summary>
public static class DetachedVm
{
    public static async Task StopAsync(ProcessIdentity? hypervisor, IEnumerable<ProcessIdentity?> helpers, string stateDirectory, TimeSpan grace)
    {
        var files = new QemuStateFiles(stateDirectory);
        if (hypervisor is { IsAlive: true })
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await using var qmp = await QmpClient.ConnectAsync(files.QmpSocket, timeout.Token);
                await qmp.ExecuteAsync("quit", cancellationToken: timeout.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or HypervisorException or System.Net.Sockets.SocketException)
            {
            }
            await WaitGoneAsync(hypervisor, grace);
        }
        foreach (var helper in helpers)
            if (helper is { IsAlive: true })
            {
                // a helper leads its own process group (virtiofsd and its sandboxed child)
                ChildProcesses.Signal(-helper.Pid, Signals.SIGTERM);
                await WaitGoneAsync(helper, TimeSpan.FromSeconds(2));
                ChildProcesses.Signal(-helper.Pid, Signals.SIGKILL);
            }
        if (hypervisor is not { IsAlive: true })
            Jail.JailUserPool.ReleaseRecorded(files.JailUser);
        files.RemoveAll();
    }

    /// <summary>Waits for the process to end, killing it after <paramref name="grace"/>.</summary>
    public static async Task WaitGoneAsync(ProcessIdentity process, TimeSpan grace)
    {
        var deadline = DateTime.UtcNow + grace;
        while (process.IsAlive && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        if (process.IsAlive)
        {
            ChildProcesses.Signal(process.Pid, Signals.SIGKILL);
            for (int i = 0; i < 250 && process.IsAlive; i++)
                await Task.Delay(20);
        }
    }
}
