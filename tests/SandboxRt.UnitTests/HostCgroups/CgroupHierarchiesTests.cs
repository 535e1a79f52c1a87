using SandboxRt.Runtime.HostCgroups;

namespace SandboxRt.UnitTests.HostCgroups;

[Trait("Tier", "unit")]
public sealed class CgroupHierarchiesTests
{
    // This development host: v1 controllers each in its own hierarchy, name=systemd, cgroup2 at unified.
    private const string HybridMountinfo = """
        22 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime - sysfs sysfs rw
        30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset,clone_children
        34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
        40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        41 22 0:31 /docker/x /mnt/memory\040copy rw,relatime - cgroup cgroup rw,memory
        """;

    private const string HybridProcCgroup = """
        9:name=systemd:/
        4:memory:/process_api/8d
        3:cpuset:/
        2:cpuacct:/
        1:cpu:/
        0::/
        """;

    [Fact]
    public void A_hybrid_host_has_every_v1_hierarchy_and_the_unified_one()
    {
        var all = CgroupHierarchies.Parse(HybridMountinfo, HybridProcCgroup);
        Assert.Equal(["cpu", "cpuacct", "cpuset", "memory", "name=systemd", ""], all.Select(h => h.Controllers));
        Assert.Equal("/sys/fs/cgroup/memory", all.Single(h => h.Controllers == "memory").MountPoint); // the whole hierarchy, not the bind of a sub-tree
        Assert.Equal("/sys/fs/cgroup/unified/docker/abc", all.Single(h => h.IsUnified).DirectoryOf("/docker/abc"));
        Assert.Equal("/sys/fs/cgroup/cpu/docker/abc", all[0].DirectoryOf("/docker/abc"));
    }

    [Fact]
    public void A_relative_path_goes_under_our_own_cgroup_in_each_hierarchy()
    {
        var all = CgroupHierarchies.Parse(HybridMountinfo, HybridProcCgroup);
        Assert.Equal("/sys/fs/cgroup/memory/process_api/8d/pod1", all.Single(h => h.Controllers == "memory").DirectoryOf("pod1"));
        Assert.Equal("/sys/fs/cgroup/cpu/pod1", all[0].DirectoryOf("pod1"));
    }

    [Fact]
    public void A_pure_v2_host_has_one_hierarchy()
    {
        var all = CgroupHierarchies.Parse("""
            25 21 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
            """, "0::/user.slice/session-1.scope\n");
        var only = Assert.Single(all);
        Assert.True(only.IsUnified);
        Assert.Equal("/sys/fs/cgroup/kubepods.slice/pod.scope", only.DirectoryOf("/kubepods.slice/pod.scope"));
    }

    [Fact]
    public void Co_mounted_controllers_are_one_hierarchy_and_escapes_are_decoded()
    {
        var all = CgroupHierarchies.Parse("""
            31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpuacct,cpu
            32 30 0:29 / /sys/fs/cgroup/my\040pids rw,relatime - cgroup cgroup rw,pids
            """, "3:cpu,cpuacct:/a\n2:pids:/\n");
        Assert.Equal("cpu,cpuacct", all[0].Controllers);
        Assert.Equal("/a", all[0].OwnCgroup);
        Assert.Equal("/sys/fs/cgroup/my pids", all[1].MountPoint);
    }
}
