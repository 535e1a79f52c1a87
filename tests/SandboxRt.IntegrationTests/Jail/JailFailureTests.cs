using SandboxRt.IntegrationTests.Support;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.Sandboxes;

namespace SandboxRt.IntegrationTests.Jail;

/// <summary>
/// A jail that cannot be made fails the boot with the reason, and takes back what was set up for it:
/// virtiofsd, the uid reservation, the state directory.
/// </summary>
[Trait("Tier", "vm")]
public sealed class JailFailureTests
{
    [Fact]
    public async Task A_kernel_the_jail_user_cannot_read_is_named_before_qemu_starts_and_nothing_is_left()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-vm");
        var kernel = state.Combine("private-vmlinux");
        File.WriteAllText(kernel, "not a kernel");
        File.SetUnixFileMode(kernel, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var id = "unreadable-" + Guid.NewGuid().ToString("N")[..6];
        var reservationsBefore = Reservations();
        var options = new SandboxStartOptions(id, state.Path, VmTestConfig.Load(new() { ["kernel"] = kernel })) { WithSharedDirectory = true };
        var e = await Assert.ThrowsAsync<HypervisorException>(() => Sandbox.StartAsync(options, TestLog.Instance, TestContext.Current.CancellationToken));
        Assert.Contains($"kernel: {kernel} is not readable by other users", e.Message);
        await HostLeaks.AssertGoneAsync(id, state.Path);
        Assert.DoesNotContain(Reservations().Except(reservationsBefore), r => File.ReadAllText(r).Contains(state.Path));
    }

    [Fact]
    public async Task A_jailer_that_fails_is_quoted_in_the_boot_error()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-vm");
        // Stands for a jailer step failing on some host: what it prints must reach the error.
        var jailer = state.Combine("failing-jailer");
        File.WriteAllText(jailer, "#!/bin/sh\necho 'sandboxrt-jailer: build the jail in /x: mount(\"/a\", \"/x/a\"): EPERM' >&2\nexit 125\n");
        File.SetUnixFileMode(jailer, (UnixFileMode)0b111_101_101);
        var id = "jailfail-" + Guid.NewGuid().ToString("N")[..6];
        var options = new SandboxStartOptions(id, state.Path, VmTestConfig.Load(new() { ["jailer_path"] = jailer }));
        var e = await Assert.ThrowsAsync<BootFailedException>(() => Sandbox.StartAsync(options, TestLog.Instance, TestContext.Current.CancellationToken));
        Assert.Contains("exited 125", e.Message);
        Assert.Contains("sandboxrt-jailer: build the jail in /x: mount(\"/a\", \"/x/a\"): EPERM", e.Message);
        await HostLeaks.AssertGoneAsync(id, state.Path);
    }

    private static List<string> Reservations() =>
        Directory.Exists("/run/sandboxrt/jail-users") ? Directory.EnumerateFiles("/run/sandboxrt/jail-users").Where(f => !f.EndsWith(".lock")).ToList() : [];
}
