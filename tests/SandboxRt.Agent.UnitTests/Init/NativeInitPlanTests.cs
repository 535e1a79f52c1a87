using System.Buffers.Binary;
using System.Text;
using SandboxRt.Agent.Init;
using SandboxRt.Agent.Init.Native;

namespace SandboxRt.Agent.UnitTests.Init;

/// <summary>
/// sandboxrt-init's plan for an exec and for the finishing steps of every process, on the real configs:
/// runc's order, and what the init would refuse is refused while planning.
/// </summary>
public sealed class NativeInitPlanTests
{
    [Theory]
    [InlineData("ctr-run.json", false)]
    [InlineData("docker-run.json", false)]
    [InlineData("docker-run.json", true)]
    [InlineData("cri-sandbox.json", true)]
    [InlineData("cri-container.json", false)]
    public void The_finishing_operations_follow_runcs_finalize_namespace_order(string fixture, bool noNewPrivileges)
    {
        using var s = new InitScenario(fixture, spec =>
        {
            spec.Process!.NoNewPrivileges = noNewPrivileges;
            spec.Process.Capabilities!.Inheritable = ["CAP_NET_BIND_SERVICE"];
            spec.Process.Capabilities.Ambient = ["CAP_NET_BIND_SERVICE"];
        });
        var seccomp = SeccompStep.Compile(s.Spec.Linux?.Seccomp);
        var plan = new InitPlan();
        FinalizerPlan.Append(plan, s.Spec.Process!, seccomp);

        // A filter loaded without no_new_privs needs CAP_SYS_ADMIN: before the capabilities are dropped.
        // With no_new_privs it goes on last, so that nothing between it and execve is filtered.
        List<InitOperation> expected = [InitOperation.ChangeDirectory, InitOperation.DefaultSignals];
        if (!noNewPrivileges && seccomp is not null)
            expected.Add(InitOperation.Seccomp);
        expected.AddRange([InitOperation.BoundingSet, InitOperation.User, InitOperation.Capabilities, InitOperation.RaiseAmbient,
            InitOperation.Umask, InitOperation.Resolve]);
        if (noNewPrivileges)
            expected.Add(InitOperation.NoNewPrivileges);
        if (noNewPrivileges && seccomp is not null)
            expected.Add(InitOperation.Seccomp);
        expected.Add(InitOperation.Execute);
        Assert.Equal(expected, plan.Operations.Select(o => o.Operation));
        Assert.Equal(
            ["process.cwd", "signals", "process.capabilities.bounding", "process.user", "process.capabilities", "process.user.umask", "exec"],
            plan.Operations.Where(o => o.Operation is not (InitOperation.Seccomp or InitOperation.NoNewPrivileges or InitOperation.RaiseAmbient or InitOperation.Resolve))
                .Select(o => o.Step));
    }

    [Fact]
    public void An_exec_joins_the_mount_namespace_builds_its_terminal_and_limits_then_runs_straight_to_execve()
    {
        using var s = new InitScenario("docker-run.json", spec =>
        {
            spec.Process!.Terminal = true;
            spec.Process.OomScoreAdj = 100;
            spec.Process.Rlimits = [new() { Type = "RLIMIT_NOFILE", Soft = 1024, Hard = 1024 }];
        });
        var plan = ExecInitPlan.Build(s.Spec.Process!, null);

        Assert.Equal(
            [(InitOperation.SetNamespace, "join mount namespace"), (InitOperation.Terminal, "process.terminal"),
             (InitOperation.ResourceLimit, "process.rlimits[0]"), (InitOperation.WriteFile, "process.oomScoreAdj"),
             (InitOperation.ChangeDirectory, "process.cwd")],
            plan.Operations.Take(5));
        Assert.DoesNotContain(plan.Operations, o => o.Operation == InitOperation.Ready);
        Assert.Equal((InitOperation.Execute, "exec"), plan.Operations[^1]);
    }

    [Fact]
    public void What_the_init_would_refuse_is_refused_while_planning_naming_the_field()
    {
        using var s = new InitScenario("ctr-run.json", spec => spec.Process!.Rlimits = [new() { Type = "RLIMIT_BOGUS", Soft = 1, Hard = 1 }]);
        var rlimit = Assert.Throws<InitStepException>(() => ExecInitPlan.Build(s.Spec.Process!, null));
        Assert.Equal("process.rlimits[0].type", rlimit.Step);

        s.Spec.Process!.Rlimits = null;
        s.Spec.Process.Capabilities!.Bounding = ["CAP_NOT_A_CAPABILITY"];
        Assert.Equal("process.capabilities.bounding[0]", Assert.Throws<InitStepException>(() => ExecInitPlan.Build(s.Spec.Process, null)).Step);

        s.Spec.Process.Capabilities.Bounding = [];
        s.Spec.Process.Args = ["/bin/sh", "-c", "echo a\0b"];
        Assert.Equal("exec", Assert.Throws<InitStepException>(() => ExecInitPlan.Build(s.Spec.Process, null)).Step);
    }

    [Fact]
    public void The_wire_form_is_the_magic_then_each_operation_byte_and_its_step()
    {
        var plan = new InitPlan();
        plan.ChangeDirectory("process.cwd", "/srv");
        plan.Umask("process.user.umask", 0x12);
        var bytes = plan.ToArray();

        Assert.Equal("SRI1"u8.ToArray(), bytes[..4]);
        Assert.Equal((byte)InitOperation.ChangeDirectory, bytes[4]);
        Assert.Equal(11u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(5)));
        Assert.Equal("process.cwd", Encoding.UTF8.GetString(bytes, 9, 11));
        Assert.Equal(4u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(20)));
        Assert.Equal("/srv", Encoding.UTF8.GetString(bytes, 24, 4));
        Assert.Equal((byte)InitOperation.Umask, bytes[28]);
        Assert.Equal(0x12u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4)));
    }
}
