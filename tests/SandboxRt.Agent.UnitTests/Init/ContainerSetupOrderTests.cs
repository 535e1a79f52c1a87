namespace SandboxRt.Agent.UnitTests.Init;

/// <summary>What ContainerInit does between the root file system and Ready: names, sysctls, limits.</summary>
public sealed class ContainerSetupOrderTests
{
    [Fact]
    public void Loopback_comes_up_before_any_mount_in_a_new_network_namespace()
    {
        using var s = new InitScenario("ctr-run.json");
        s.Config.NewNetworkNamespace = true;
        s.Run();

        Assert.Equal("link_up lo", s.Calls[0]);
        Assert.Equal(1, s.Count("link_up"));
    }

    [Fact]
    public void The_hostname_is_set_after_pivot_root_and_before_the_masked_paths()
    {
        using var s = new InitScenario("cri-sandbox.json");
        s.Run();

        int hostname = s.IndexOf("sethostname e2e-pod");
        Assert.True(hostname > s.IndexOf("pivot_root"));
        Assert.True(hostname < s.IndexOf("mount /proc/bus /proc/bus"));
    }

    [Fact]
    public void Sysctls_are_written_after_pivot_root_and_before_proc_sys_turns_read_only()
    {
        using var s = new InitScenario("docker-run.json");
        s.Run();

        int first = s.IndexOf("write /proc/sys/net/ipv4/ip_unprivileged_port_start 0");
        int second = s.IndexOf("write /proc/sys/net/ipv4/ping_group_range 0 2147483647");
        Assert.True(first > s.IndexOf("pivot_root"));
        Assert.True(second < s.IndexOf("mount /proc/sys /proc/sys"));
    }

    [Fact]
    public void Rlimits_and_oom_score_adj_follow_the_root_file_system_and_precede_the_process_steps()
    {
        using var s = new InitScenario("ctr-run.json", spec => spec.Process!.OomScoreAdj = -998);
        s.Run();

        int rlimit = s.IndexOf("setrlimit RLIMIT_NOFILE 1024 1024");
        int oom = s.IndexOf("write /proc/self/oom_score_adj -998");
        Assert.True(rlimit > s.IndexOf("mount tmpfs /sys/firmware"), "rlimits come after the masked paths");
        Assert.True(oom > rlimit);
        Assert.True(oom < s.IndexOf("rt_sigaction"), "oom_score_adj comes before the process's own steps");
    }
}
