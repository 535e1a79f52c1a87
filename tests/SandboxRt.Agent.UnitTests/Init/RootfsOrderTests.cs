namespace SandboxRt.Agent.UnitTests.Init;

/// <summary>The root file system's order (RootfsBuilder's design comment) on the real ctr, Docker and CRI configs.</summary>
public sealed class RootfsOrderTests
{
    [Theory]
    [InlineData("ctr-run.json")]
    [InlineData("docker-run.json")]
    [InlineData("cri-sandbox.json")]
    [InlineData("cri-container.json")]
    public void Mounts_happen_in_spec_order_after_the_propagation_change_and_before_pivot_root(string fixture)
    {
        using var s = new InitScenario(fixture);
        s.Run();

        Assert.Equal("mount none / none Recursive|Slave", s.Calls[0]);
        Assert.Equal($"mount {s.Rootfs} {s.Rootfs} none Bind|Recursive", s.Calls[1]);
        int at = 1;
        for (int i = 0; i < s.Spec.Mounts!.Count; i++)
        {
            var m = s.Spec.Mounts[i];
            var source = m.IsBind ? m.Source : m.Type is "cgroup" ? s.Config.CgroupPath : m.Source ?? m.Type;
            at = s.IndexOf($"mount {source} {s.InRootfs(m.Destination)} ", at + 1);
        }
        int pivot = s.IndexOf("pivot_root . .");
        Assert.True(at < pivot, $"mounts[{s.Spec.Mounts.Count - 1}] at {at} comes after pivot_root at {pivot}");
        Assert.Equal(
            [$"chdir {s.Rootfs}", "pivot_root . .", "mount none . none Recursive|Slave", "umount2 . MNT_DETACH", "chdir /"],
            s.Calls[(pivot - 1)..(pivot + 4)]);
        Assert.Equal(1, s.Count("pivot_root"));
    }

    [Fact]
    public void A_bind_mount_with_ro_is_bound_then_remounted_read_only()
    {
        using var s = new InitScenario("cri-sandbox.json");
        s.Run();

        var resolv = s.Spec.Mounts!.Single(m => m.Destination == "/etc/resolv.conf");
        int bind = s.IndexOf($"mount {resolv.Source} {s.InRootfs("/etc/resolv.conf")} none Bind|Recursive");
        Assert.Equal($"mount none {s.InRootfs("/etc/resolv.conf")} none ReadOnly|Remount|Bind", s.Calls[bind + 1]);
        Assert.True(File.Exists(s.InRootfs("/etc/resolv.conf")), "a file bind mount needs a file as its target");
    }

    [Fact]
    public void A_tmpfs_dev_gets_the_default_nodes_with_umask_0_and_the_links_after_every_spec_mount()
    {
        using var s = new InitScenario("ctr-run.json");
        s.Run();

        int lastSpecMount = s.IndexOf($"mount tmpfs {s.InRootfs("/run")} ");
        int firstNode = s.IndexOf("mknod");
        int pivot = s.IndexOf("pivot_root");
        Assert.InRange(firstNode, lastSpecMount + 1, pivot);
        Assert.Equal(["umask 0", $"mknod {s.InRootfs("/dev/null")} c 1:3 666", "umask 22"], s.Calls[(firstNode - 1)..(firstNode + 2)]);
        Assert.Equal(6, s.Count("mknod"));
        Assert.InRange(s.IndexOf($"symlink pts/ptmx {s.InRootfs("/dev/ptmx")}"), s.LastIndexOf("mknod"), pivot);
        Assert.Equal(0x12u, s.Syscalls.Umask);
    }

    [Fact]
    public void Without_a_tmpfs_dev_no_device_node_is_made()
    {
        using var s = new InitScenario("ctr-run.json", spec => spec.Mounts!.RemoveAll(m => m.Destination.StartsWith("/dev", StringComparison.Ordinal)));
        s.Run();

        Assert.Equal(0, s.Count("mknod"));
        Assert.Equal(0, s.Count("symlink"));
    }

    [Theory]
    [InlineData("ctr-run.json")]
    [InlineData("docker-run.json")]
    [InlineData("cri-sandbox.json")]
    public void Readonly_then_masked_paths_come_after_pivot_root_and_missing_ones_are_skipped(string fixture)
    {
        using var s = new InitScenario(fixture);
        s.Run();

        int pivot = s.IndexOf("pivot_root");
        int at = pivot;
        foreach (var path in s.Spec.Linux!.ReadonlyPaths!)
        {
            at = s.IndexOf($"mount {path} {path} none Bind|Recursive", at + 1);
            Assert.Equal($"mount none {path} none ReadOnly|NoSuid|NoDev|NoExec|Remount|Bind", s.Calls[at + 1]);
        }
        int masked = s.IndexOf("mount tmpfs /proc/acpi tmpfs ReadOnly");
        Assert.True(masked > at, "maskedPaths come after readonlyPaths");
        Assert.Contains("mount /dev/null /proc/kcore none Bind", s.Calls);
        Assert.Contains("mount tmpfs /sys/firmware tmpfs ReadOnly", s.Calls);
        foreach (var missing in new[] { "/proc/asound", "/proc/latency_stats", "/proc/timer_stats", "/proc/scsi" })
            Assert.DoesNotContain(s.Calls, c => c.Contains(missing, StringComparison.Ordinal));
    }

    [Fact]
    public void A_read_only_root_is_remounted_after_the_masked_paths()
    {
        using var s = new InitScenario("cri-sandbox.json");
        s.Run();

        int root = s.IndexOf("mount none / none ReadOnly|Remount|Bind");
        Assert.True(root > s.LastIndexOf("mount tmpfs /proc/") && root > s.LastIndexOf("mount /dev/null "), "root.readonly comes last");

        using var writable = new InitScenario("ctr-run.json");
        writable.Run();
        Assert.DoesNotContain("mount none / none ReadOnly|Remount|Bind", writable.Calls);
    }

    [Fact]
    public void The_cgroup_mount_binds_the_containers_own_cgroup_without_a_cgroup_namespace_and_mounts_cgroup2_with_one()
    {
        using var without = new InitScenario("docker-run.json");
        without.Run();
        var target = without.InRootfs("/sys/fs/cgroup");
        int bind = without.IndexOf($"mount /sys/fs/cgroup/sandboxrt/c1 {target} none Bind");
        Assert.Equal($"mount none {target} none ReadOnly|NoSuid|NoDev|NoExec|Remount|Bind", without.Calls[bind + 1]);
        Assert.Equal(0, without.Count("unshare"));

        using var with = new InitScenario("docker-run.json");
        with.Config.NewCgroupNamespace = true;
        with.Run();
        Assert.Equal("unshare cgroup", with.Calls[0]);
        with.IndexOf($"mount cgroup2 {with.InRootfs("/sys/fs/cgroup")} cgroup2 ReadOnly|NoSuid|NoDev|NoExec");
        Assert.Equal(0, with.Count("mount /sys/fs/cgroup/sandboxrt/c1"));
    }
}
