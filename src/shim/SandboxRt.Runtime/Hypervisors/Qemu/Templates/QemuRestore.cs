using System.Text.Json.Nodes;

namespace SandboxRt.Runtime.Hypervisors.Qemu.Templates;

/// <summary>
/// Brings a clone to life: QEMU started with the template's command line and "-incoming defer" reads the
/// template's device state from an inherited descriptor (the RAM is not in it: x-ignore-shared skips
/// shared file-backed memory, which the clone maps from its own copy), stays paused because the template
/// was saved paused, gets this sandbox's devices by hot-plug, and only then runs. Every step is a QMP
/// command; a failure is a HypervisorException that names it, and the caller falls back to a cold boot.
/// The restore ends as soon as QEMU does: the host holds the QMP listening socket until the launch is
/// over, so a QEMU that died before it took it (a path its option parser splits, a missing firmware) left
/// the host's connection waiting for a greeting until the bound, boot_timeout_seconds.
/// </summary>
internal static class QemuRestore
{
    private static readonly TimeSpan StatePoll = TimeSpan.FromMilliseconds(5);

    /// <param name="exited">Completes with how QEMU ended, if it does (IVirtualMachine.Exited).</param>
    /// <param name="hypervisorLog">QEMU's own output, whose last lines say why it ended.</param>
    public static async Task RestoreAsync(string qmpSocket, int stateFd, QemuLaunchPlan plan, Task ramCopied, Task<string> exited, string hypervisorLog,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        var restore = RunAsync(qmpSocket, stateFd, plan, ramCopied, bounded.Token);
        if (await Task.WhenAny(restore, exited) == exited && !restore.IsCompleted)
        {
            bounded.Cancel();
            await restore.ContinueWith(_ => { }, TaskScheduler.Default);
            var said = Diagnostics.LogTail.Read(hypervisorLog, 3);
            throw new HypervisorException($"QEMU ended during the restore: {await exited}{(said.Count > 0 ? ": " + string.Join(" / ", said) : "")}");
        }
        try
        {
            await restore;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HypervisorException($"the restore did not end within {timeout.TotalSeconds:F0} s (boot_timeout_seconds)");
        }
    }

    private static async Task RunAsync(string qmpSocket, int stateFd, QemuLaunchPlan plan, Task ramCopied, CancellationToken ct)
    {
        await using var qmp = await QmpClient.ConnectAsync(qmpSocket, ct);
        await qmp.ExecuteAsync("migrate-set-capabilities", IgnoreShared(), ct);
        await ramCopied.WaitAsync(ct);
        await qmp.ExecuteAsync("migrate-incoming", new JsonObject { ["uri"] = $"fd:{stateFd}" }, ct);
        // The incoming side reports no completion on QMP without events; its run state goes
        // inmigrate -> paused (the template was saved paused) or to a failure.
        while (true)
        {
            var status = (await qmp.ExecuteAsync("query-status", cancellationToken: ct))?["status"]?.GetValue<string>();
            if (status == "paused")
                break;
            if (status != "inmigrate")
            {
                var migration = await qmp.ExecuteAsync("query-migrate", cancellationToken: ct);
                throw new HypervisorException($"restoring the template's state: QEMU is {status}, migration {migration?.ToJsonString()}");
            }
            await Task.Delay(StatePoll, ct);
        }
        int port = 0;
        foreach (var device in QemuCommandLine.SandboxDevices(plan))
        {
            var arguments = QemuCommandLine.DeviceAddArguments(device);
            if (plan.Config.Qemu.MachineType == "q35")
            {
                if (port == QemuCommandLine.HotplugPorts)
                    throw new HypervisorException($"the sandbox needs more than the template's {QemuCommandLine.HotplugPorts} hot-plug ports");
                arguments["bus"] = QemuCommandLine.PortName(port++);
            }
            await qmp.ExecuteAsync("device_add", arguments, ct);
        }
        await qmp.ExecuteAsync("cont", cancellationToken: ct);
    }

    /// <summary>x-ignore-shared: shared file-backed RAM is neither saved nor loaded (it is the file).</summary>
    public static JsonObject IgnoreShared() => new()
    {
        ["capabilities"] = new JsonArray(new JsonObject { ["capability"] = "x-ignore-shared", ["state"] = true }),
    };
}
