using SandboxRt.Agent.Boot;

namespace SandboxRt.Agent.UnitTests.Boot;

/// <summary>The agent's sandboxrt.* options on the kernel command line.</summary>
[Trait("Tier", "unit")]
public sealed class KernelCommandLineTests
{
    [Fact]
    public void Only_a_template_vm_warms_up()
    {
        var template = KernelCommandLine.Parse("console=ttyS0 panic=-1 sandboxrt.channel=serial sandboxrt.warmup=1");
        Assert.True(template.WarmUp);
        Assert.Equal("serial", template.Channel);
        Assert.False(KernelCommandLine.Parse("console=ttyS0 sandboxrt.channel=serial").WarmUp);
        Assert.False(KernelCommandLine.Parse("sandboxrt.warmup=0").WarmUp);
    }

    [Fact]
    public void The_warm_up_spec_is_runcs_default_with_what_docker_adds_on_its_own_root_with_the_root_directory_as_its_program()
    {
        var spec = TemplateWarmUp.Spec("/run/x/rootfs");
        SandboxRt.Oci.Validation.SpecValidator.Validate(spec);
        Assert.Equal("/run/x/rootfs", spec.Root!.Path);
        Assert.True(spec.Root.Readonly);
        Assert.Equal(["/"], spec.Process!.Args); // passes create's program check, fails execve at start
        Assert.False(spec.Process.Terminal);
        Assert.Equal(6, spec.Linux!.Namespaces!.Count);
        Assert.All(spec.Linux.Seccomp!.Syscalls!, s => Assert.Equal("SCMP_ACT_ERRNO", s.Action));
        Assert.Equal(256L << 20, spec.Linux.Resources!.Memory!.Limit);
    }
}
