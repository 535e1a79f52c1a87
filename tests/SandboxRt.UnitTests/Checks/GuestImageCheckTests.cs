using SandboxRt.Runtime.Checks;
using SandboxRt.Runtime.Configuration;

namespace SandboxRt.UnitTests.Checks;

/// <summary>`sandboxrt check`'s guest-image line: it names what the guest boots (the root image, or the initramfs) and a missing one.</summary>
[Trait("Tier", "unit")]
public sealed class GuestImageCheckTests
{
    [Fact]
    public void The_check_names_the_root_image_on_q35_and_cloud_hypervisor_the_initramfs_on_microvm_and_a_missing_image_as_a_failure()
    {
        using var dir = new TempDirectory();
        var config = new HypervisorConfig
        {
            Kernel = dir.File("vmlinux", "k"),
            Initrd = dir.File("initramfs.img", "i"),
            Image = dir.File("rootfs.img", "r"),
        };
        var image = HostChecks.GuestImage(config);
        Assert.Equal(CheckStatus.Ok, image.Status);
        Assert.Contains("root image", image.Detail);
        Assert.Equal("image", image.Facts!["boots"]);
        Assert.Equal(config.Image, image.Facts["image"]);

        var microvm = HostChecks.GuestImage(config with { Qemu = new QemuConfig { MachineType = "microvm" } });
        Assert.Contains("initramfs", microvm.Detail);
        Assert.Equal("initrd", microvm.Facts!["boots"]);

        var clh = HostChecks.GuestImage(config with { Hypervisor = "clh", Qemu = new QemuConfig { MachineType = "microvm" } });
        Assert.Equal("image", clh.Facts!["boots"]); // Cloud Hypervisor takes it whatever QEMU's machine says

        var missing = HostChecks.GuestImage(config with { Image = Path.Combine(dir.Path, "none.img") });
        Assert.Equal(CheckStatus.Fail, missing.Status);
        Assert.Contains($"image {Path.Combine(dir.Path, "none.img")} does not exist", missing.Detail);
    }
}
