using System.Diagnostics;
using SandboxRt.IntegrationTests.Support;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.Sandboxes;

namespace SandboxRt.IntegrationTests.Vm;

/// <summary>
/// Bad input at boot: each gives a clear error within its timeout and leaves no process, socket or
/// file behind.
/// </summary>
[Trait("Tier", "vm")]
public sealed class VmFaultTests
{
    private static async Task<TException> StartExpectingAsync<TException>(ScratchDirectory state, string id, Dictionary<string, string> overrides, TimeSpan within, string? initrd = null)
        where TException : Exception
    {
        var watch = Stopwatch.StartNew();
        var options = new SandboxStartOptions(id, state.Path, VmTestConfig.Load(overrides)) { InitrdOverride = initrd };
        var e = await Assert.ThrowsAsync<TException>(() => Sandbox.StartAsync(options, TestLog.Instance, TestContext.Current.CancellationToken));
        Assert.True(watch.Elapsed < within, $"the error took {watch.Elapsed}, more than {within}");
        TestContext.Current.TestOutputHelper?.WriteLine(e.Message);
        Assert.False(Directory.Exists(Path.Combine(state.Path, id)), "the state directory is removed");
        Assert.Empty(ProcessTable.Find($"sandboxrt-{id}"));
        return e;
    }

    /// <summary>A file of <paramref name="length"/> bytes that is no archive and no file system.</summary>
    private static void WriteNoise(string path, int length) =>
        File.WriteAllBytes(path, Enumerable.Range(0, length).Select(i => (byte)(i * 7919 % 251)).ToArray());

    [Fact]
    public async Task A_missing_kernel_is_named_and_nothing_starts()
    {
        TestEnvironment.RequireRoot();
        using var state = new ScratchDirectory("srt-vm");
        var e = await StartExpectingAsync<HypervisorException>(state, "nokernel", new() { ["kernel"] = "/nonexistent/vmlinux" }, TimeSpan.FromSeconds(5));
        Assert.Contains("kernel: /nonexistent/vmlinux does not exist", e.Message);
    }

    [Fact]
    public async Task A_missing_qemu_is_named_and_nothing_starts()
    {
        TestEnvironment.RequireRoot();
        using var state = new ScratchDirectory("srt-vm");
        var e = await StartExpectingAsync<HypervisorException>(state, "noqemu", new() { ["path"] = "/nonexistent/qemu-system-x86_64" }, TimeSpan.FromSeconds(5));
        Assert.Contains("path: /nonexistent/qemu-system-x86_64 does not exist", e.Message);
    }

    [Fact]
    public async Task A_corrupt_initramfs_fails_the_boot_with_the_console_tail()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-vm");
        var corrupt = state.Combine("corrupt.img");
        WriteNoise(corrupt, 1 << 20);
        var e = await StartExpectingAsync<BootFailedException>(state, "corrupt", new() { ["boot_timeout_seconds"] = "60" }, TimeSpan.FromSeconds(60), corrupt);
        Assert.Contains("stopped before its agent answered", e.Reason);
        Assert.Contains("the guest kernel panicked", e.Reason);
        Assert.InRange(e.ConsoleTail.Count, 1, BootWaiter.ConsoleTailLines);
    }

    [Fact]
    public async Task A_missing_root_image_is_named_with_the_way_out_and_nothing_starts()
    {
        TestEnvironment.RequireRoot();
        using var state = new ScratchDirectory("srt-vm");
        var e = await StartExpectingAsync<HypervisorException>(state, "noimage", new() { ["image"] = "/nonexistent/rootfs.img" }, TimeSpan.FromSeconds(5));
        Assert.StartsWith("image: /nonexistent/rootfs.img does not exist", e.Message);
        Assert.Contains("set image to \"\"", e.Message);
    }

    [Fact]
    public async Task A_root_image_the_kernel_cannot_mount_fails_the_boot_with_the_console_tail()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-vm");
        var corrupt = state.Combine("corrupt-root.img");
        WriteNoise(corrupt, 16 << 20); // a whole number of 16 MiB: the guest gets it, and its kernel finds no file system
        var e = await StartExpectingAsync<BootFailedException>(state, "badroot", new() { ["image"] = corrupt, ["qemu.vm_template"] = "false" }, TimeSpan.FromSeconds(60));
        Assert.Contains("stopped before its agent answered", e.Reason);
        Assert.Contains("the guest kernel panicked: VFS: Unable to mount root fs", e.Reason);
    }

    [Fact]
    public async Task An_agent_that_never_answers_times_out_and_the_vm_is_killed()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-vm");
        var silent = TestInitramfs.WithInitScript(state, "silent", "echo silent-init-started\nexec /bin/busybox sleep 100000");
        var e = await StartExpectingAsync<BootFailedException>(state, "silent", new() { ["boot_timeout_seconds"] = "8" }, TimeSpan.FromSeconds(25), silent);
        Assert.Contains("did not answer on virtio-serial within 8 s", e.Reason);
        Assert.Contains(e.ConsoleTail, l => l.Contains("silent-init-started"));
    }

    [Fact]
    public async Task When_init_dies_the_kernel_panics_and_the_host_notices()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-vm");
        var dying = TestInitramfs.WithInitScript(state, "dying", "echo init-exiting-now\nexit 3");
        var e = await StartExpectingAsync<BootFailedException>(state, "dying", new() { ["boot_timeout_seconds"] = "60" }, TimeSpan.FromSeconds(60), dying);
        Assert.Contains("stopped before its agent answered", e.Reason);
        Assert.Contains("the guest kernel panicked: Attempted to kill init!", e.Reason);
    }
}
