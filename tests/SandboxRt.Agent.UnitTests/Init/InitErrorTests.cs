using SandboxRt.Agent.Init;
using SandboxRt.Interop;

namespace SandboxRt.Agent.UnitTests.Init;

/// <summary>A failing step names itself (and the spec field), stops everything after it, and undoes what it must.</summary>
public sealed class InitErrorTests
{
    [Fact]
    public void A_failed_spec_mount_names_its_index_the_syscall_the_path_and_the_errno_and_nothing_pivots()
    {
        using var s = new InitScenario("docker-run.json");
        s.Syscalls.FailWhen($"mount sysfs {s.InRootfs("/sys")} ", Errno.EPERM);

        var e = Assert.Throws<InitStepException>(s.Run);

        Assert.Equal("mounts[3]", e.Step); // /proc, /dev, /dev/pts, /sys
        Assert.Contains("mount(", e.Message);
        Assert.Contains(s.InRootfs("/sys"), e.Message);
        Assert.Contains("EPERM", e.Message);
        Assert.StartsWith("mount sysfs ", s.Calls[^1]);
        Assert.Equal(0, s.Count("pivot_root"));
    }

    [Fact]
    public void A_missing_bind_source_names_the_source_field_before_anything_is_mounted_for_it()
    {
        using var s = new InitScenario("cri-container.json");
        var hosts = s.Spec.Mounts!.FindIndex(m => m.Destination == "/etc/hosts");
        File.Delete(s.Spec.Mounts[hosts].Source!);

        var e = Assert.Throws<InitStepException>(s.Run);

        Assert.Equal($"mounts[{hosts}].source", e.Step);
        Assert.Contains(s.Spec.Mounts[hosts].Source!, e.Message);
        Assert.DoesNotContain(s.Calls, c => c.Contains(s.InRootfs("/etc/hosts"), StringComparison.Ordinal));
    }

    [Fact]
    public void A_destination_that_a_symbolic_link_leads_out_of_the_rootfs_is_refused()
    {
        using var s = new InitScenario("docker-run.json");
        File.CreateSymbolicLink(s.InRootfs("/etc"), "../outside");
        var resolv = s.Spec.Mounts!.FindIndex(m => m.Destination == "/etc/resolv.conf");

        var e = Assert.Throws<InitStepException>(s.Run);

        Assert.Equal($"mounts[{resolv}].destination", e.Step);
        Assert.Contains("outside the root file system", e.Message);
        Assert.False(Directory.Exists(Path.Combine(s.Rootfs, "..", "outside")), "nothing is created outside the rootfs");
    }

    [Fact]
    public void A_failed_mknod_restores_the_umask_and_names_the_device()
    {
        using var s = new InitScenario("ctr-run.json");
        s.Syscalls.FailWhen("mknod", Errno.EPERM);

        var e = Assert.Throws<InitStepException>(s.Run);

        Assert.Equal("default device /dev/null", e.Step);
        Assert.Equal(["umask 0", $"mknod {s.InRootfs("/dev/null")} c 1:3 666", "umask 22"], s.Calls[^3..]);
        Assert.Equal(0x12u, s.Syscalls.Umask);
    }

    [Fact]
    public void A_failed_pivot_root_is_the_pivot_root_step()
    {
        using var s = new InitScenario("ctr-run.json");
        s.Syscalls.FailWhen("pivot_root", Errno.EINVAL);

        var e = Assert.Throws<InitStepException>(s.Run);

        Assert.Equal("pivot_root", e.Step);
        Assert.Contains("EINVAL", e.Message);
        Assert.Equal(0, s.Count("umount2"));
    }

    [Fact]
    public void An_unknown_rlimit_names_its_type_field_and_sets_no_limit()
    {
        using var s = new InitScenario("ctr-run.json", spec => spec.Process!.Rlimits![0].Type = "RLIMIT_BOGUS");

        var e = Assert.Throws<InitStepException>(s.Run);

        Assert.Equal("process.rlimits[0].type", e.Step);
        Assert.Equal(0, s.Count("setrlimit"));
        Assert.Equal(0, s.Count("rt_sigaction"));
    }

    [Fact]
    public void A_failed_setuid_is_the_user_step_and_no_capability_is_set_nor_anything_executed()
    {
        using var s = new InitScenario("ctr-run.json");
        s.Syscalls.FailWhen("setresuid", Errno.EPERM);

        var e = Assert.Throws<InitStepException>(s.Run);

        Assert.Equal("process.user", e.Step);
        Assert.StartsWith("setresuid", s.Calls[^1]);
        Assert.Equal(0, s.Count("capset"));
        Assert.Equal(0, s.Count("execve"));
    }

    [Fact]
    public void A_seccomp_filter_the_kernel_refuses_is_the_seccomp_step_and_nothing_is_executed()
    {
        using var s = new InitScenario("docker-run.json", spec => spec.Process!.NoNewPrivileges = true);
        s.Syscalls.FailWhen("seccomp", Errno.EINVAL);

        var e = Assert.Throws<InitStepException>(s.Run);

        Assert.Equal("linux.seccomp", e.Step);
        Assert.Equal(0, s.Count("execve"));
    }

    [Fact]
    public void An_ambient_capability_refused_with_EPERM_is_left_out_with_a_warning_and_the_rest_goes_on()
    {
        using var s = new InitScenario("ctr-run.json", spec => spec.Process!.Capabilities!.Ambient = ["CAP_NET_BIND_SERVICE", "CAP_KILL"]);
        s.Syscalls.FailWhen("prctl PR_CAP_AMBIENT_RAISE CAP_NET_BIND_SERVICE", Errno.EPERM);

        s.Run();

        var warning = Assert.Single(s.Warnings);
        Assert.Contains("CAP_NET_BIND_SERVICE", warning);
        Assert.Contains("EPERM", warning);
        Assert.Contains("prctl PR_CAP_AMBIENT_RAISE CAP_KILL", s.Calls);
        Assert.Equal("execve /bin/echo [/bin/echo cfg]", s.Calls[^1]);
    }

    [Fact]
    public void An_ambient_capability_refused_otherwise_fails_the_capabilities_step()
    {
        using var s = new InitScenario("ctr-run.json", spec => spec.Process!.Capabilities!.Ambient = ["CAP_KILL"]);
        s.Syscalls.FailWhen("prctl PR_CAP_AMBIENT_RAISE", Errno.EINVAL);

        var e = Assert.Throws<InitStepException>(s.Run);

        Assert.Equal("process.capabilities", e.Step);
        Assert.Empty(s.Warnings);
        Assert.Equal(0, s.Count("execve"));
    }

    [Theory]
    [InlineData(Errno.ENOENT)]
    [InlineData(Errno.EACCES)]
    public void A_failed_execve_carries_the_program_and_the_errno(Errno errno)
    {
        using var s = new InitScenario("ctr-run.json");
        s.Syscalls.FailWhen("execve", errno);

        var e = Assert.Throws<ExecFailedException>(s.Run);

        Assert.Equal(errno, e.Errno);
        Assert.Contains("exec: \"/bin/echo\"", e.Message);
    }
}
