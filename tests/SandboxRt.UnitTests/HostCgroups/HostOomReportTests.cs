using SandboxRt.Runtime.HostCgroups;

namespace SandboxRt.UnitTests.HostCgroups;

[Trait("Tier", "unit")]
public sealed class HostOomReportTests
{
    [Theory]
    [InlineData(0L)]
    [InlineData(45L << 20)]
    [InlineData(3L << 30)]
    public void The_hog_alone_is_larger_than_the_limit_so_no_reclaim_can_make_room(long usage)
    {
        var (limit, hog) = HostOomReport.Plan(usage);
        Assert.True(limit > usage, "the limit must be writable without reclaiming (v1 refuses a limit below usage with EBUSY)");
        Assert.True(hog > limit);
    }

    [Fact]
    public void An_ancestor_near_its_limit_has_no_room_for_the_hogs_charge()
    {
        Assert.True(HostOomReport.HasRoom(9223372036854771712, 5L << 30)); // no limit (v1's "max")
        Assert.True(HostOomReport.HasRoom(1L << 30, 512L << 20));
        Assert.False(HostOomReport.HasRoom(1L << 30, (1L << 30) - (10L << 20))); // a pod cgroup 10 MiB below its limit
    }

    [Fact]
    public void The_oom_kill_count_is_read_from_memory_oom_control()
    {
        Assert.Equal(3, HostOomReport.OomKills("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"));
        Assert.Equal(0, HostOomReport.OomKills("oom_kill_disable 0\nunder_oom 0\n")); // kernels before 4.13
    }

    [Fact]
    public void An_eventfds_count_is_read_from_its_fdinfo_in_hexadecimal()
    {
        Assert.Equal(0UL, HostOomReport.EventfdCount("pos:\t0\nflags:\t02000002\nmnt_id:\t15\nino:\t1057\neventfd-count:                0\n"));
        Assert.Equal(26UL, HostOomReport.EventfdCount("pos:\t0\neventfd-count:               1a\neventfd-id: 3\n"));
        Assert.Null(HostOomReport.EventfdCount("pos:\t0\nflags:\t02\n")); // not an eventfd
    }

    /// <summary>The relay's memory cgroup: a child of the pod's, in the v1 memory hierarchy only, recorded for delete.</summary>
    [Fact]
    public void The_relay_gets_a_memory_cgroup_of_its_own_and_stays_beside_the_vm_elsewhere()
    {
        using var root = new TempDirectory();
        var hierarchies = new[] { "memory", "cpu,cpuacct", "" }
            .Select(c => new CgroupHierarchy(c, Path.Combine(root.Path, c.Length == 0 ? "unified" : c), "/", "/")).ToList();
        var cgroup = HostCgroup.Create("/docker/abc", hierarchies);
        int created = cgroup.Created.Count;
        cgroup.JoinRelay(4242, hierarchies);
        var leaf = Path.Combine(root.Path, "memory", "docker", "abc", HostCgroup.RelayLeaf);
        Assert.Equal(leaf, cgroup.RelayDirectory);
        Assert.Equal(leaf, cgroup.Created.Last()); // removed first, before the pod's
        Assert.Equal(created + 1, cgroup.Created.Count);
        Assert.Equal("4242", File.ReadAllText(Path.Combine(leaf, "cgroup.procs")));
        Assert.False(File.Exists(Path.Combine(root.Path, "memory", "docker", "abc", "cgroup.procs")));
        Assert.Equal("4242", File.ReadAllText(Path.Combine(root.Path, "cpu,cpuacct", "docker", "abc", "cgroup.procs")));
        Assert.Equal("4242", File.ReadAllText(Path.Combine(root.Path, "unified", "docker", "abc", "cgroup.procs")));
    }

    [Fact]
    public void Without_a_v1_memory_hierarchy_the_relay_joins_the_pods_cgroup_and_nothing_is_reported()
    {
        using var root = new TempDirectory();
        var hierarchies = new[] { new CgroupHierarchy("", Path.Combine(root.Path, "unified"), "/", "/") };
        var cgroup = HostCgroup.Create("/docker/abc", hierarchies);
        cgroup.JoinRelay(4242, hierarchies);
        Assert.Null(cgroup.RelayDirectory);
        Assert.Equal("4242", File.ReadAllText(Path.Combine(root.Path, "unified", "docker", "abc", "cgroup.procs")));
    }
}
