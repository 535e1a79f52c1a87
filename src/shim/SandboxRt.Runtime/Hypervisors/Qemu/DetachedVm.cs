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
    }

    /// <summary>Waits for the process to end, killing it after <paramref name="grace"/> (through a pidfd, never by a pid that may be reused).</summary>
    public static async Task WaitGoneAsync(ProcessIdentity process, TimeSpan grace)
    {
        using var pinned = PinnedProcessTree.Pin(process, withDescendants: false);
        if (pinned is null || await pinned.WaitAllExitedAsync(grace))
            return;
        pinned.Signal(Signals.SIGKILL);
        await pinned.WaitAllExitedAsync(TimeSpan.FromSeconds(5));
    }
}
