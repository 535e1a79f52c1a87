using SandboxRt.Runtime.Configuration;

namespace SandboxRt.UnitTests.Configuration;

/// <summary>Kata's configuration.toml: the shipped file, Kata's key meanings, warnings and errors that name file, line and key.</summary>
[Trait("Tier", "unit")]
public sealed class KataConfigurationTests
{
    private static readonly string ShippedToml = Path.Combine(AppContext.BaseDirectory, "hypervisor-configs", "configuration-qemu.toml");

    [Fact]
    public void The_shipped_toml_matches_the_built_in_defaults_and_warns_about_nothing()
    {
        var loaded = HypervisorConfigLoader.Load(ShippedToml);
        var defaults = new HypervisorConfig();
        Assert.Empty(loaded.Warnings);
        Assert.Equal(defaults with { SourcePath = loaded.SourcePath, Warnings = loaded.Warnings, Qemu = defaults.Qemu with { ExtraArgs = loaded.Qemu.ExtraArgs, JailPaths = loaded.Qemu.JailPaths } }, loaded);
        Assert.Equal(defaults.Qemu.JailPaths, loaded.Qemu.JailPaths);
        Assert.Empty(loaded.Qemu.ExtraArgs);
    }

    [Fact]
    public void Kata_keys_keep_their_meaning_and_unknown_keys_are_named_with_their_line()
    {
        using var dir = new TempDirectory();
        var path = dir.File("configuration.toml", """
            # Kata's own comment
            [hypervisor.qemu]
            path = "/usr/bin/qemu-system-x86_64"
            kernel = "images/vmlinux"
            default_memory = 1024
            default_vcpus = 2
            kernel_params = "quiet"
            enable_iothreads = false
            virtio_fs_cache = "always"

            [factory]
            enable_template = false

            [runtime]
            sandbox_cgroup_only = true
            internetworking_model = "tcfilter"
            """);
        var config = HypervisorConfigLoader.Load(path);
        Assert.Equal(1024, config.DefaultMemoryMib);
        Assert.Equal(2, config.DefaultVcpus);
        Assert.Equal(Path.Combine(dir.Path, "images", "vmlinux"), config.Kernel);
        Assert.Equal(HypervisorConfig.DefaultKernelParams + " quiet", config.KernelParams);
        Assert.Contains($"{path}:8: [hypervisor.qemu] enable_iothreads is not supported by SandboxRt; ignored", config.Warnings);
        Assert.Equal("always", config.VirtioFsCache);
        Assert.False(config.Qemu.VmTemplate); // Kata's VM factory switch is ours: [factory] enable_template
        Assert.DoesNotContain(config.Warnings, w => w.Contains("enable_template", StringComparison.Ordinal));
        Assert.Contains(config.Warnings, w => w.StartsWith($"{path}:15: [runtime] sandbox_cgroup_only is not used", StringComparison.Ordinal));
        Assert.Contains($"{path}:16: [runtime] internetworking_model is not supported by SandboxRt; ignored", config.Warnings);
    }

    [Fact]
    public void As_in_kata_a_file_boots_its_image_or_its_initrd_and_naming_both_is_an_error()
    {
        using var dir = new TempDirectory();
        var image = HypervisorConfigLoader.Load(dir.File("image.toml", "[hypervisor.qemu]\nimage = \"images/root.img\"\n"));
        Assert.Equal(Path.Combine(dir.Path, "images", "root.img"), image.Image);
        Assert.Empty(image.Warnings); // it was "not used" before SandboxRt booted images

        var initrd = HypervisorConfigLoader.Load(dir.File("initrd.toml", "[hypervisor.qemu]\ninitrd = \"/boot/initrd.img\"\n"));
        Assert.Equal("/boot/initrd.img", initrd.Initrd);
        Assert.Equal("", initrd.Image); // our default image does not override the initrd the file names

        var clh = HypervisorConfigLoader.Load(dir.File("clh.toml", "[hypervisor.clh]\nimage = \"/images/clh.img\"\n"));
        Assert.Equal(("clh", "/images/clh.img"), (clh.Hypervisor, clh.Image)); // Cloud Hypervisor boots it too (a pmem device)
        Assert.Empty(clh.Warnings);

        var both = dir.File("both.toml", "[hypervisor.qemu]\nimage = \"/a.img\"\ninitrd = \"/b.img\"\n");
        var e = Assert.Throws<ConfigException>(() => HypervisorConfigLoader.Load(both));
        Assert.Equal($"{both}:2: [hypervisor.qemu] image and {both}:3: [hypervisor.qemu] initrd: a configuration boots an image or an initrd, not both (as in Kata)", e.Message);
    }

    [Fact]
    public void A_value_of_the_wrong_type_names_the_file_line_and_key()
    {
        using var dir = new TempDirectory();
        var path = dir.File("configuration.toml", "[hypervisor.qemu]\n\ndefault_memory = \"lots\"\n");
        var e = Assert.Throws<ConfigException>(() => HypervisorConfigLoader.Load(path));
        Assert.Equal($"{path}:3: [hypervisor.qemu] default_memory: expected an integer, got a string", e.Message);
    }

    [Fact]
    public void A_value_out_of_range_names_the_kata_key_and_its_line_not_our_field()
    {
        using var dir = new TempDirectory();
        var path = dir.File("configuration.toml", "[hypervisor.qemu]\ndefault_vcpus = 1\ndefault_memory = 16\n");
        var e = Assert.Throws<ConfigException>(() => HypervisorConfigLoader.Load(path));
        Assert.Equal($"{path}:3: [hypervisor.qemu] default_memory: 16 is outside 64..1048576", e.Message);
    }

    [Fact]
    public void Invalid_toml_is_an_error_that_names_the_file()
    {
        using var dir = new TempDirectory();
        var path = dir.File("configuration.toml", "[hypervisor.qemu\npath = 1\n");
        var e = Assert.Throws<ConfigException>(() => HypervisorConfigLoader.Load(path));
        Assert.StartsWith($"{path}: invalid TOML", e.Message);
    }
}
