using SandboxRt.Agent.Init;
using SandboxRt.Agent.Init.Native;

namespace SandboxRt.Agent.UnitTests.Init;

/// <summary>sandboxrt-init's plan for a new container, on the real configs: runc's order, fields named, refusals before spawning.</summary>
public sealed class CreateInitPlanTests
{
    [Theory]
    [InlineData("ctr-run.json")]
    [InlineData("docker-run.json")]
    [InlineData("cri-sandbox.json")]
    [InlineData("cri-container.json")]
    public void The_rootfs_is_built_and_pivoted_before_the_console_limits_ready_and_the_finishing_steps(string fixture)
    {
        using var s = new InitScenario(fixture);
        var plan = CreateInitPlan.Build(s.Spec, "/sys/fs/cgroup/sandboxrt/c1", newNetwork: true, newCgroup: false, null);
        var steps = plan.Operations.Select(o => o.Step).ToList();

        Assert.Equal(["network (loopback)", "rootfs propagation", "root.path"], steps.Take(3));
        var mounts = plan.Operations.Where(o => o.Operation is InitOperation.MountInRoot or InitOperation.TmpfsInRoot).Select(o => o.Step);
        Assert.Equal(Enumerable.Range(0, s.Spec.Mounts!.Count).Select(i => $"mounts[{i}]"), mounts);
        int pivot = steps.IndexOf("pivot_root");
        Assert.True(steps.LastIndexOf($"mounts[{s.Spec.Mounts.Count - 1}]") < pivot);
        Assert.True(steps.IndexOf("default device /dev/null") is var dev && (dev < 0 || dev < pivot));
        int ready = steps.IndexOf("ready");
        foreach (var i in Enumerable.Range(0, s.Spec.Linux?.MaskedPaths?.Count ?? 0))
            Assert.InRange(steps.IndexOf($"linux.maskedPaths[{i}]"), pivot, ready);
        Assert.Equal("process.cwd", steps[ready + 1]);
        Assert.Equal((InitOperation.Execute, "exec"), plan.Operations[^1]);
    }

    [Fact]
    public void Hostname_and_sysctls_follow_pivot_root_and_precede_the_read_only_paths_then_the_read_only_root_and_the_limits()
    {
        using var s = new InitScenario("docker-run.json", spec =>
        {
            spec.Hostname = "box";
            spec.Linux!.Sysctl = new() { ["net.ipv4.ip_forward"] = "1" };
            spec.Root!.Readonly = true;
            spec.Process!.Rlimits = [new() { Type = "RLIMIT_NOFILE", Soft = 1024, Hard = 1024 }];
            spec.Process.OomScoreAdj = 10;
        });
        var plan = CreateInitPlan.Build(s.Spec, "/c", newNetwork: true, newCgroup: false, null);
        var steps = plan.Operations.Select(o => o.Step).ToList();

        int pivot = steps.IndexOf("pivot_root");
        Assert.Equal(["hostname", "linux.sysctl.net.ipv4.ip_forward", "linux.readonlyPaths[0]"], steps.Skip(pivot + 1).Take(3));
        int lastMasked = steps.LastIndexOf($"linux.maskedPaths[{s.Spec.Linux!.MaskedPaths!.Count - 1}]");
        // the program's check ("exec") last before ready: create fails for a program that cannot run, as runc's does
        Assert.Equal(["root.readonly", "process.rlimits[0]", "process.oomScoreAdj", "exec", "ready"], steps.Skip(lastMasked + 1).Take(5));
        Assert.Equal(InitOperation.CheckProgram, plan.Operations[steps.IndexOf("ready") - 1].Operation);
    }

    /// <summary>Every tmpfs is the init's tmpfs operation (the covered directory's mode, tmpcopyup); tmpcopyup is kept for it, not passed to the kernel.</summary>
    [Fact]
    public void Tmpfs_mounts_are_made_by_the_tmpfs_operation_and_tmpcopyup_reaches_it_only()
    {
        using var s = new InitScenario("docker-run.json", spec => spec.Mounts!.Add(new() { Destination = "/etc", Type = "tmpfs", Source = "tmpfs", Options = ["rw", "nosuid", "tmpcopyup", "size=65536k"] }));
        var plan = CreateInitPlan.Build(s.Spec, "/c", false, false, null);
        var index = s.Spec.Mounts!.Count - 1;
        Assert.Equal(InitOperation.TmpfsInRoot, Assert.Single(plan.Operations, o => o.Step == $"mounts[{index}]").Operation);
        var bytes = plan.ToArray();
        var tail = System.Text.Encoding.UTF8.GetString(bytes);
        Assert.Contains("size=65536k", tail);
        Assert.DoesNotContain("tmpcopyup", tail);
        var tmpfs = s.Spec.Mounts.Select((m, i) => (m, i)).Where(x => x.m.Type == "tmpfs").Select(x => $"mounts[{x.i}]").ToList();
        Assert.Equal(tmpfs, plan.Operations.Where(o => o.Operation == InitOperation.TmpfsInRoot).Select(o => o.Step));
        Assert.True(Oci.Validation.MountOptions.Parse(["tmpcopyup", "mode=755"]) is { CopyUp: true, Data: "mode=755" });
        Assert.False(Oci.Validation.MountOptions.Parse(["mode=755"]).CopyUp);
    }

    [Fact]
    public void A_tmpfs_dev_gets_the_default_nodes_and_links_after_every_spec_mount_and_without_one_no_node_is_made()
    {
        using var s = new InitScenario("docker-run.json");
        var steps = CreateInitPlan.Build(s.Spec, "/c", false, false, null).Operations.Select(o => o.Step).ToList();
        int firstNode = steps.IndexOf("default device /dev/null");
        Assert.True(steps.LastIndexOf($"mounts[{s.Spec.Mounts!.Count - 1}]") < firstNode);
        Assert.True(steps.IndexOf("device link /dev/fd") < steps.IndexOf("pivot_root"));

        s.Spec.Mounts.RemoveAll(m => m.Destination == "/dev");
        Assert.DoesNotContain(CreateInitPlan.Build(s.Spec, "/c", false, false, null).Operations, o => o.Operation == InitOperation.MakeDeviceInRoot);
    }

    [Fact]
    public void A_cgroup_namespace_is_unshared_first_and_its_cgroup2_mount_is_made_by_the_init()
    {
        using var s = new InitScenario("docker-run.json");
        var plan = CreateInitPlan.Build(s.Spec, "/sys/fs/cgroup/sandboxrt/c1", newNetwork: false, newCgroup: true, null);

        Assert.Equal((InitOperation.Unshare, "linux.namespaces (cgroup)"), plan.Operations[0]);
    }

    [Fact]
    public void What_cannot_be_built_is_refused_while_planning_naming_the_field()
    {
        using var s = new InitScenario("ctr-run.json", spec => spec.Mounts![1].Destination = "/../../etc");
        Assert.Equal("mounts[1].destination", Assert.Throws<InitStepException>(() => CreateInitPlan.Build(s.Spec, "/c", false, false, null)).Step);

        using var missing = new InitScenario("docker-run.json");
        int bind = missing.Spec.Mounts!.FindIndex(m => m.IsBind);
        missing.Spec.Mounts[bind].Source = "/nonexistent/source";
        Assert.Equal($"mounts[{bind}].source", Assert.Throws<InitStepException>(() => CreateInitPlan.Build(missing.Spec, "/c", false, false, null)).Step);
    }

    [Fact]
    public void Hooks_inside_the_container_run_after_pivot_root_and_after_start_with_their_state_received_first()
    {
        using var s = new InitScenario("ctr-run.json");
        Assert.False(CreateInitPlan.Build(s.Spec, "/c", false, false, null).NeedsHookState);
        s.Spec.Hooks = new()
        {
            CreateContainer = [new() { Path = "/bin/create-a" }, new() { Path = "/bin/create-b", Args = ["b", "1"], Timeout = 7 }],
            StartContainer = [new() { Path = "/bin/start" }],
        };
        var plan = CreateInitPlan.Build(s.Spec, "/c", false, false, null);
        var steps = plan.Operations.Select(o => o.Step).ToList();

        Assert.True(plan.NeedsHookState);
        Assert.Equal((InitOperation.HookState, "hooks"), plan.Operations[0]);
        int pivot = steps.IndexOf("pivot_root");
        Assert.Equal(["hooks.createContainer[0]", "hooks.createContainer[1]"], steps.Skip(pivot + 1).Take(2));
        Assert.Equal("hooks.startContainer[0]", steps[steps.IndexOf("ready") + 1]);
        Assert.All(plan.Operations.Where(o => o.Step.StartsWith("hooks.", StringComparison.Ordinal)), o => Assert.Equal(InitOperation.Hook, o.Operation));

        s.Spec.Hooks.StartContainer[0].Path = "";
        Assert.Equal("hooks.startContainer[0].path", Assert.Throws<InitStepException>(() => CreateInitPlan.Build(s.Spec, "/c", false, false, null)).Step);
    }
}
