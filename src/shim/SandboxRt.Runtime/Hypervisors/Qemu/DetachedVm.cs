using SandboxRt.Interop;
using SandboxRt.Runtime.Processes;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Hypervisors.Qemu;

/// <summary>
/// A VM started by another process (the relay of an earlier CLI call): stopped through its QMP socket,
/// then SIGKILL, identified by pid and start time and signalled through pidfds, so that a reused pid is
/// never signalled. Its jail user is freed once it is gone (a QEMU that survived SIGKILL keeps its user
/// reserved).
/// </summary>
internal static class DetachedVm
{
    public static async Task StopAsync(VmmRecord record, ProcessIdentity? hypervisor, IEnumerable<ProcessIdentity?> helpers, string stateDirectory, TimeSpan grace)
    {
        var files = new QemuStateFiles(stateDirectory);
        var control = record.ControlSocket ?? files.QmpSocket;
        if (hypervisor is { IsAlive: true })
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await using var qmp = await QmpClient.ConnectAsync(control, timeout.Token);
                await qmp.ExecuteAsync("quit", cancellationToken: timeout.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or HypervisorException or System.Net.Sockets.SocketException)
            {
            }
            await DetachedProcess.WaitGoneAsync(hypervisor, grace);
        }
        foreach (var helper in helpers)
        {
            // A helper (virtiofsd) and its forked server, each pinned by a pidfd: never kill(-pid) on a
            // leader someone else may have reaped (see PinnedProcessTree).
            if (helper is not null && PinnedProcessTree.Pin(helper) is { } tree)
                using (tree)
                    await tree.StopAsync(TimeSpan.FromSeconds(2));
        }
        if (hypervisor is not { IsAlive: true })
            Jail.JailUserPool.ReleaseRecorded(files.JailUser);
        files.RemoveAll();
        VmmRecord.Remove(stateDirectory);
    }
}
