using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.Hypervisors.Qemu;
using SandboxRt.Runtime.Hypervisors.Qemu.Templates;

namespace SandboxRt.UnitTests.Hypervisors;

/// <summary>The read-only root image on virtio-pmem (configuration "image"): when it is booted, and QEMU's command line for it.</summary>
[Trait("Tier", "unit")]
public sealed class GuestRootImageTests
{
    private static QemuLaunchPlan Plan(HypervisorConfig config, GuestRootImage? image, int maxMemoryMib = 0) => new(
        "c1", config, new AcceleratorChoice("tcg", false, "test"), 1, 512, "/img/initrd", ConsoleFd: 6, QmpListenFd: 5, GuestChannelPlan.Serial(4))
    {
        RootImage = image,
        MaxMemoryMib = maxMemoryMib,
    };

    private static string After(List<string> args, string flag) => args[args.IndexOf(flag) + 1];

    [Fact]
    public void The_image_replaces_the_initrd_read_only_on_virtio_pmem_and_is_mounted_as_root_with_dax()
    {
        var args = QemuCommandLine.Build(Plan(new HypervisorConfig(), new GuestRootImage("/img/root,fs.img", 32L << 20)));
        Assert.DoesNotContain("-initrd", args);
        // QEMU opens it O_RDONLY and maps it PROT_READ (readonly=on); share=on: the host's page cache pages, never in a saved state
        Assert.Contains("memory-backend-file,id=sandboxrt-root,mem-path=/img/root,,fs.img,size=33554432,share=on,readonly=on", args);
        Assert.Contains("virtio-pmem-pci,id=sandboxrt-root-pmem,memdev=sandboxrt-root", args);
        var append = After(args, "-append");
        Assert.Contains("root=/dev/pmem0 rootfstype=ext4 rootflags=dax=always ro init=/init", append);
        // the device lives in the hot-plug region: a VM that cannot grow gets one just for it
        Assert.Equal($"512M,slots={QemuHotplug.MemorySlots},maxmem=544M", After(args, "-m"));
        Assert.DoesNotContain("memhp_default_state", append); // no DIMM will come

        var initrd = QemuCommandLine.Build(Plan(new HypervisorConfig(), null));
        Assert.Equal("/img/initrd", After(initrd, "-initrd"));
        Assert.DoesNotContain(initrd, a => a.Contains("pmem", StringComparison.Ordinal));
        Assert.Equal("512M", After(initrd, "-m"));
    }

    [Fact]
    public void The_image_comes_on_top_of_the_growth_room_so_that_a_vm_still_grows_to_its_maximum()
    {
        var args = QemuCommandLine.Build(Plan(new HypervisorConfig(), new GuestRootImage("/img/root.img", 48L << 20), maxMemoryMib: 2048));
        Assert.Equal($"512M,slots={QemuHotplug.MemorySlots},maxmem={2048 + 48}M", After(args, "-m"));
        Assert.Contains("memhp_default_state=online_movable", After(args, "-append"));
    }

    [Fact]
    public void Q35_and_pc_boot_the_image_microvm_and_a_sandboxs_own_initrd_boot_the_initrd()
    {
        using var dir = new TempDirectory();
        var image = Path.Combine(dir.Path, "rootfs.img");
        using (var file = File.Create(image))
            file.SetLength(32L << 20);
        var config = new HypervisorConfig { Image = image, Initrd = "/img/initrd" };
        var root = QemuGuestRoot.For(config, initrdOverride: null);
        Assert.Equal(new GuestRootImage(image, 32L << 20), root.Image);
        Assert.Equal(image, root.BootFile);
        Assert.NotNull(QemuGuestRoot.For(config with { Qemu = new QemuConfig { MachineType = "pc" } }, null).Image);

        var microvm = QemuGuestRoot.For(config with { Qemu = new QemuConfig { MachineType = "microvm" } }, null);
        Assert.Null(microvm.Image); // no PCI and no hot-plug region for virtio-pmem-pci
        Assert.Equal("/img/initrd", microvm.BootFile);
        var own = QemuGuestRoot.For(config, initrdOverride: "/tmp/test-initrd");
        Assert.Equal(new QemuGuestRoot("/tmp/test-initrd", null), own);
        Assert.Null(QemuGuestRoot.For(config with { Image = "" }, null).Image);
    }

    [Fact]
    public void A_missing_or_misaligned_image_is_an_error_that_names_the_field_and_the_way_out()
    {
        using var dir = new TempDirectory();
        var missing = Path.Combine(dir.Path, "none.img");
        var e = Assert.Throws<HypervisorException>(() => QemuGuestRoot.For(new HypervisorConfig { Image = missing }, null));
        Assert.StartsWith($"image: {missing} does not exist", e.Message);
        Assert.Contains("set image to \"\"", e.Message);

        var odd = Path.Combine(dir.Path, "odd.img");
        using (var file = File.Create(odd))
            file.SetLength(24L << 20); // the guest kernel leaves a pmem namespace that is not 16 MiB aligned without a block device
        e = Assert.Throws<HypervisorException>(() => QemuGuestRoot.For(new HypervisorConfig { Image = odd }, null));
        Assert.StartsWith($"image: {odd} is 25165824 bytes, not a whole number of 16 MiB", e.Message);
    }

    [Fact]
    public void A_template_of_an_image_is_keyed_by_that_file_and_never_serves_the_initrd_layout()
    {
        using var dir = new TempDirectory();
        var config = new HypervisorConfig { Kernel = dir.File("vmlinux", "k"), Qemu = new QemuConfig { Path = dir.File("qemu", "q") } };
        var path = dir.File("rootfs.img", "an image");
        var image = new GuestRootImage(path, 16L << 20);
        var (key, inputs) = QemuTemplateKey.Of(Plan(config, image) with { TemplateRamFile = "ram" });
        Assert.Contains(path, inputs.Split('\n')[3]); // the third identity: the image's path, size and time
        Assert.False(QemuTemplateKey.InputsChanged(inputs));
        Assert.NotEqual(key, QemuTemplateKey.Of(Plan(config, null) with { TemplateRamFile = "ram" }).Key);
        File.WriteAllText(path, "a rebuilt guest image");
        Assert.True(QemuTemplateKey.InputsChanged(inputs));
        Assert.NotEqual(key, QemuTemplateKey.Of(Plan(config, image) with { TemplateRamFile = "ram" }).Key);
    }
}
