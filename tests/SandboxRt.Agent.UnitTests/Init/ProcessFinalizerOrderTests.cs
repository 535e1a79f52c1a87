using SandboxRt.Oci.Validation;

namespace SandboxRt.Agent.UnitTests.Init;

/// <summary>runc's finalizeNamespace order (ProcessFinalizer's design comment) on the real configs.</summary>
public sealed class ProcessFinalizerOrderTests
{
    [Theory]
    [InlineData("ctr-run.json")]
    [InlineData("docker-run.json")]
    [InlineData("cri-sandbox.json")]
    [InlineData("cri-container.json")]
    public void The_bounding_set_is_dropped_before_setuid_keep_caps_spans_the_id_change_and_capset_follows(string fixture)
    {
        using var s = new InitScenario(fixture);
        s.Run();

        var bounding = s.Spec.Process!.Capabilities!.Bounding!;
        Assert.Equal(CapabilityNames.Last + 1 - bounding.Count, s.Count("prctl PR_CAPBSET_DROP"));
        Assert.Contains("prctl PR_CAPBSET_DROP CAP_SYS_ADMIN", s.Calls);
        Assert.DoesNotContain("prctl PR_CAPBSET_DROP CAP_CHOWN", s.Calls);

        int keep = s.IndexOf("prctl PR_SET_KEEPCAPS 1");
        Assert.True(s.LastIndexOf("prctl PR_CAPBSET_DROP") < keep);
        var user = s.Spec.Process.User;
        Assert.Equal(
            ["prctl PR_SET_KEEPCAPS 1", $"setgroups {string.Join(',', user.AdditionalGids ?? [])}", $"setresgid {user.Gid}",
             $"setresuid {user.Uid}", "prctl PR_SET_KEEPCAPS 0", $"capset e={Mask(s.Spec.Process.Capabilities.Effective)} p={Mask(s.Spec.Process.Capabilities.Permitted)} i=0",
             "prctl PR_CAP_AMBIENT_CLEAR_ALL"],
            s.Calls[keep..(keep + 7)]);
    }

    [Fact]
    public void Without_no_new_privs_seccomp_goes_on_before_the_capabilities_are_dropped()
    {
        using var s = new InitScenario("docker-run.json");
        s.Run();

        Assert.False(s.Spec.Process!.NoNewPrivileges);
        int seccomp = s.IndexOf("seccomp SECCOMP_SET_MODE_FILTER");
        Assert.Equal(["chdir /", "rt_sigaction SIG_DFL"], s.Calls[(seccomp - 2)..seccomp]);
        Assert.True(seccomp < s.IndexOf("prctl PR_CAPBSET_DROP"), "loading a filter without no_new_privs needs CAP_SYS_ADMIN");
        Assert.Equal(0, s.Count("prctl PR_SET_NO_NEW_PRIVS"));
        Assert.Equal(1, s.Count("seccomp"));
        Assert.Equal("execve /bin/echo [/bin/echo hi]", s.Calls[^1]);
    }

    [Fact]
    public void With_no_new_privs_seccomp_is_the_last_call_before_execve_and_follows_the_umask()
    {
        using var s = new InitScenario("docker-run.json", spec => spec.Process!.NoNewPrivileges = true);
        s.Run();

        Assert.Equal(["umask 22", "prctl PR_SET_NO_NEW_PRIVS", s.Calls[^2], "execve /bin/echo [/bin/echo hi]"], s.Calls[^4..]);
        Assert.StartsWith("seccomp SECCOMP_SET_MODE_FILTER", s.Calls[^2]);
        Assert.Equal(1, s.Count("seccomp"));
    }

    [Fact]
    public void Without_a_profile_no_new_privs_is_followed_by_execve()
    {
        using var s = new InitScenario("cri-sandbox.json");
        s.Run();

        Assert.Equal(["prctl PR_SET_NO_NEW_PRIVS", "execve /bin/sleep [/bin/sleep 2147483647]"], s.Calls[^2..]);
        Assert.Equal(0, s.Count("seccomp"));
    }

    [Fact]
    public void Ambient_capabilities_are_raised_after_capset_and_the_user_umask_applies()
    {
        using var s = new InitScenario("ctr-run.json", spec =>
        {
            spec.Process!.Capabilities!.Inheritable = ["CAP_NET_BIND_SERVICE"];
            spec.Process.Capabilities.Ambient = ["CAP_NET_BIND_SERVICE"];
            spec.Process.User.Umask = 0x3F; // 0077
        });
        s.Run();

        int clear = s.IndexOf("prctl PR_CAP_AMBIENT_CLEAR_ALL");
        Assert.StartsWith("capset ", s.Calls[clear - 1]);
        Assert.EndsWith(" i=400", s.Calls[clear - 1]); // CAP_NET_BIND_SERVICE is bit 10
        Assert.Equal(["prctl PR_CAP_AMBIENT_RAISE CAP_NET_BIND_SERVICE", "umask 77"], s.Calls[(clear + 1)..(clear + 3)]);
    }

    private static string Mask(List<string>? names) =>
        names!.Aggregate(0UL, (mask, name) => mask | 1UL << (CapabilityNames.TryGetNumber(name, out int n) ? n : throw new KeyNotFoundException(name))).ToString("x");
}
