using SandboxRt.Runtime.Hypervisors;

namespace SandboxRt.UnitTests.Hypervisors;

[Trait("Tier", "unit")]
public sealed class AcceleratorProbeTests
{
    [Fact]
    public void Kvm_device_without_vmx_or_svm_is_not_usable_and_auto_falls_back_to_tcg()
    {
        using var dir = new TempDirectory();
        var cpuinfo = dir.File("cpuinfo", "processor\t: 0\nflags\t\t: fpu vme de pse tsc msr pae hypervisor\n");
        var kvm = dir.File("kvm", "");
        var (usable, reason) = AcceleratorProbe.ProbeKvm(cpuinfo, kvm);
        Assert.False(usable);
        Assert.Contains("no vmx or svm", reason);
        Assert.Contains("exists", reason);
        var choice = AcceleratorProbe.Choose("auto", cpuinfo, kvm);
        Assert.Equal("tcg", choice.Accelerator);
        Assert.Contains("falling back to TCG", choice.Reason);
    }

    [Fact]
    public void Forcing_kvm_when_unusable_is_an_error_with_the_reason()
    {
        using var dir = new TempDirectory();
        var cpuinfo = dir.File("cpuinfo", "flags\t\t: fpu vmx\n");
        var e = Assert.Throws<HypervisorException>(() => AcceleratorProbe.Choose("kvm", cpuinfo, Path.Combine(dir.Path, "no-kvm")));
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void Vmx_and_an_openable_device_make_kvm_usable()
    {
        using var dir = new TempDirectory();
        var cpuinfo = dir.File("cpuinfo", "flags\t\t: fpu svm\n");
        var kvm = dir.File("kvm", "");
        Assert.Equal("kvm", AcceleratorProbe.Choose("auto", cpuinfo, kvm).Accelerator);
        Assert.Equal("tcg", AcceleratorProbe.Choose("tcg", cpuinfo, kvm).Accelerator);
    }
}
