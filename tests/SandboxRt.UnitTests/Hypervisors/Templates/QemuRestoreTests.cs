using System.Text.Json.Nodes;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.Hypervisors.Qemu;
using SandboxRt.Runtime.Hypervisors.Qemu.Templates;
using SandboxRt.UnitTests.Fakes;
using static SandboxRt.UnitTests.Fakes.FakeQmpServer;

namespace SandboxRt.UnitTests.Hypervisors.Templates;

/// <summary>
/// A clone's restore against a fake QEMU: its RAM copy is made while QEMU starts, so the restore must not
/// load the template's state (which reads the guest's virtio rings) before the copy is done, and a copy
/// that failed fails the restore with its own error before anything is loaded.
/// </summary>
[Trait("Tier", "unit")]
public sealed class QemuRestoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A QEMU that does not end during the test.</summary>
    private static readonly Task<string> Running = new TaskCompletionSource<string>().Task;

    private string NoLog => Path.Combine(_dir.Path, "no-qemu.log");

    [Fact]
    public async Task A_qemu_that_ends_before_its_qmp_greets_fails_the_restore_at_once_with_its_exit_and_last_words()
    {
        // what the host has while QEMU starts: its own QMP listening socket, which a dead QEMU never took
        // over, so the connection lands in the backlog and no greeting ever comes
        var socket = Path.Combine(_dir.Path, "qmp.sock");
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(socket));
        listener.Listen(4);
        var log = Path.Combine(_dir.Path, "qemu.log");
        File.WriteAllText(log, "qemu-system-x86_64: -object memory-backend-file,mem-path=/r,t=1/ram: Invalid parameter 't'\n");
        var exited = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);

        var restoring = QemuRestore.RestoreAsync(socket, 9, Plan(), Task.FromResult(33L << 20), exited.Task, log, TimeSpan.FromMinutes(10), CancellationToken.None);
        Assert.False(restoring.IsCompleted); // waiting for the greeting
        exited.SetResult("QEMU (pid 42) exited 1");

        var e = await Assert.ThrowsAsync<HypervisorException>(() => restoring.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("QEMU ended during the restore: QEMU (pid 42) exited 1: qemu-system-x86_64: -object memory-backend-file,mem-path=/r,t=1/ram: Invalid parameter 't'", e.Message);
    }

    private static QemuLaunchPlan Plan() => new(
        "c1", new HypervisorConfig(), new AcceleratorChoice("tcg", false, "test"), 1, 512, "/img/initrd",
        ConsoleFd: 6, QmpListenFd: 5, GuestChannelPlan.Serial(4), new SharedFsPlan(SharedFsPlan.VirtioFs, "/run/s/c1/shared")) { VirtiofsdFd = 3 };

    [Fact]
    public async Task The_state_is_loaded_only_once_the_ram_copy_is_done_and_the_sandbox_devices_come_before_cont()
    {
        var copy = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var capabilitiesSet = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool? copyDoneAtLoad = null;
        await using var server = new FakeQmpServer(Path.Combine(_dir.Path, "qmp.sock"), (command, _) =>
        {
            switch (command)
            {
                case "migrate-set-capabilities":
                    capabilitiesSet.TrySetResult();
                    break;
                case "migrate-incoming":
                    copyDoneAtLoad = copy.Task.IsCompleted;
                    break;
                case "query-status":
                    return [Return(new JsonObject { ["status"] = "paused" })];
            }
            return [Return()];
        });

        var restoring = QemuRestore.RestoreAsync(server.Path, 9, Plan(), copy.Task, Running, NoLog, TimeSpan.FromSeconds(30), CancellationToken.None);
        await capabilitiesSet.Task.WaitAsync(TimeSpan.FromSeconds(30));
        copy.SetResult(33 << 20); // the copy ends after QEMU is up: the restore was waiting for it
        await restoring.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(copyDoneAtLoad);
        List<string> commands;
        lock (server.Commands)
            commands = [.. server.Commands];
        Assert.Equal("migrate-incoming {\"uri\":\"fd:9\"}", commands[1]);
        Assert.Contains(commands, c => c.StartsWith("device_add ", StringComparison.Ordinal) && c.Contains("vhost-user-fs-pci") && c.Contains("\"bus\":\"sandboxrt-port0\""));
        Assert.Equal("cont", commands[^1]);
    }

    [Fact]
    public async Task A_ram_copy_that_never_ends_holds_the_restore_until_its_bound_and_nothing_is_loaded()
    {
        var capabilitiesSet = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new FakeQmpServer(Path.Combine(_dir.Path, "qmp.sock"), (command, _) =>
        {
            if (command == "migrate-set-capabilities")
                capabilitiesSet.TrySetResult();
            return command == "query-status" ? [Return(new JsonObject { ["status"] = "paused" })] : [Return()];
        });
        var never = new TaskCompletionSource<long>().Task;

        // the restore's own bound (boot_timeout_seconds in a launch) ends it: without the wait it would have run the clone
        var e = await Assert.ThrowsAsync<HypervisorException>(() =>
            QemuRestore.RestoreAsync(server.Path, 9, Plan(), never, Running, NoLog, TimeSpan.FromSeconds(1), CancellationToken.None));
        Assert.Equal("the restore did not end within 1 s (boot_timeout_seconds)", e.Message);

        Assert.True(capabilitiesSet.Task.IsCompleted);
        lock (server.Commands)
            Assert.Equal(["migrate-set-capabilities {\"capabilities\":[{\"capability\":\"x-ignore-shared\",\"state\":true}]}"], server.Commands);
    }

    [Fact]
    public async Task A_failed_ram_copy_fails_the_restore_with_its_own_error_and_nothing_is_loaded()
    {
        await using var server = new FakeQmpServer(Path.Combine(_dir.Path, "qmp.sock"), (_, _) => [Return()]);

        var e = await Assert.ThrowsAsync<IOException>(() =>
            QemuRestore.RestoreAsync(server.Path, 9, Plan(), Task.FromException<long>(new IOException("No space left on device")), Running, NoLog, TimeSpan.FromSeconds(30), CancellationToken.None));

        Assert.Equal("No space left on device", e.Message);
        lock (server.Commands)
            Assert.DoesNotContain(server.Commands, c => c.StartsWith("migrate-incoming", StringComparison.Ordinal) || c == "cont");
    }
}
