using SandboxRt.Runtime.Configuration;

namespace SandboxRt.UnitTests.Configuration;

/// <summary>The split configuration: common fields plus a section per driver, in JSON (with the QEMU fields' older top-level names) and in Kata's TOML.</summary>
[Trait("Tier", "unit")]
public sealed class DriverSectionTests
{
    private static readonly string ShippedClhToml = Path.Combine(AppContext.BaseDirectory, "hypervisor-configs", "configuration-clh.toml");

    [Fact]
    public void Qemu_fields_load_the_same_from_the_section_and_from_their_older_top_level_names()
    {
        using var dir = new TempDirectory();
        var nested = HypervisorConfigLoader.Load(dir.File("nested.json", """
            { "qemu": { "path": "bin/qemu", "machine_type": "microvm", "sandbox": false, "tcg_nice": 3, "log_max_bytes": 131072, "extra_args": ["-s"] } }
            """));
        var flat = HypervisorConfigLoader.Load(dir.File("flat.json", """
            { "path": "bin/qemu", "machine_type": "microvm", "qemu_sandbox": false, "tcg_nice": 3, "qemu_log_max_bytes": 131072, "extra_args": ["-s"] }
            """));
        foreach (var config in new[] { nested, flat })
        {
            Assert.Equal(Path.Combine(dir.Path, "bin", "qemu"), config.Qemu.Path);
            Assert.Equal(("microvm", false, 3, 131072L), (config.Qemu.MachineType, config.Qemu.Sandbox, config.Qemu.TcgNice, config.Qemu.LogMaxBytes));
            Assert.Equal(["-s"], config.Qemu.ExtraArgs);
        }
    }

    [Fact]
    public void A_field_given_by_both_names_is_an_error()
    {
        using var dir = new TempDirectory();
        var path = dir.File("q.json", """{ "machine_type": "pc", "qemu": { "machine_type": "q35" } }""");
        var e = Assert.Throws<ConfigException>(() => HypervisorConfigLoader.Load(path));
        Assert.Contains("machine_type and qemu.machine_type are both set", e.Message);
    }

    [Fact]
    public void Overrides_take_section_names_and_older_names()
    {
        using var dir = new TempDirectory();
        var config = HypervisorConfigLoader.Load(dir.File("q.json", "{}"), new Dictionary<string, string>
        {
            ["qemu.guest_channel"] = "serial",
            ["tcg_nice"] = "7",
            ["cloud_hypervisor.api_timeout_seconds"] = "3",
            ["hypervisor"] = "cloud-hypervisor",
        });
        Assert.Equal(("serial", 7), (config.Qemu.GuestChannel, config.Qemu.TcgNice));
        Assert.Equal(3, config.CloudHypervisor.ApiTimeoutSeconds);
        Assert.Equal("clh", config.Hypervisor);
    }

    [Fact]
    public void The_cloud_hypervisor_section_loads_resolves_its_path_and_is_validated()
    {
        using var dir = new TempDirectory();
        var config = HypervisorConfigLoader.Load(dir.File("c.json", """
            { "hypervisor": "clh", "cloud_hypervisor": { "path": "bin/cloud-hypervisor", "api_timeout_seconds": 4, "guest_cid": 7 } }
            """));
        Assert.Equal("clh", config.Hypervisor);
        Assert.Equal(Path.Combine(dir.Path, "bin", "cloud-hypervisor"), config.CloudHypervisor.Path);
        Assert.Equal((4, 7L), (config.CloudHypervisor.ApiTimeoutSeconds, config.CloudHypervisor.GuestCid));
        Assert.Equal(new QemuConfig().MachineType, config.Qemu.MachineType);

        var e = Assert.Throws<ConfigException>(() => HypervisorConfigLoader.Load(dir.File("bad.json", """{ "cloud_hypervisor": { "guest_cid": 2 } }""")));
        Assert.Contains("cloud_hypervisor.guest_cid: 2 is outside 3..", e.Message);
        e = Assert.Throws<ConfigException>(() => HypervisorConfigLoader.Load(dir.File("unknown.json", """{ "cloud_hypervisor": { "api_socket": "/x" } }""")));
        Assert.Contains("unknown option 'api_socket'", e.Message);
    }

    [Fact]
    public void The_shipped_clh_toml_chooses_the_driver_and_warns_about_nothing()
    {
        var config = HypervisorConfigLoader.Load(ShippedClhToml);
        Assert.Empty(config.Warnings);
        Assert.Equal("clh", config.Hypervisor);
        Assert.Equal("/usr/bin/cloud-hypervisor", config.CloudHypervisor.Path);
        Assert.Equal(10, config.CloudHypervisor.ApiTimeoutSeconds);
        Assert.Equal(new QemuConfig().Path, config.Qemu.Path);
        // it names the image, as the qemu one does: the defaults otherwise
        Assert.Equal(new HypervisorConfig() with { Hypervisor = "clh", SourcePath = config.SourcePath, Warnings = config.Warnings, Qemu = config.Qemu }, config);
        Assert.Equal("/usr/share/sandboxrt/rootfs.img", config.Image);
    }

    [Fact]
    public void Kata_clh_keys_keep_their_meaning_and_driver_tables_of_sandboxrt_reach_the_sections()
    {
        using var dir = new TempDirectory();
        var path = dir.File("configuration.toml", """
            [hypervisor.clh]
            path = "/opt/kata/bin/cloud-hypervisor"
            default_memory = 1024
            kernel_params = "quiet"

            [sandboxrt.cloud_hypervisor]
            api_timeout_seconds = 2
            [sandboxrt.qemu]
            tcg_nice = 1
            """);
        var config = HypervisorConfigLoader.Load(path);
        Assert.Equal(("clh", "/opt/kata/bin/cloud-hypervisor", 1024), (config.Hypervisor, config.CloudHypervisor.Path, config.DefaultMemoryMib));
        Assert.Equal(HypervisorConfig.DefaultKernelParams + " quiet", config.KernelParams);
        Assert.Equal((2, 1), (config.CloudHypervisor.ApiTimeoutSeconds, config.Qemu.TcgNice));
    }

    [Fact]
    public void Kata_errors_in_a_section_name_the_kata_key_and_its_line_and_two_hypervisor_tables_are_refused()
    {
        using var dir = new TempDirectory();
        var path = dir.File("configuration.toml", "[hypervisor.qemu]\nmachine_type = \"virt\"\n");
        var e = Assert.Throws<ConfigException>(() => HypervisorConfigLoader.Load(path));
        Assert.Equal($"{path}:2: [hypervisor.qemu] machine_type: 'virt' is not one of q35, microvm, pc", e.Message);

        var both = dir.File("both.toml", "[hypervisor.qemu]\ndefault_vcpus = 1\n\n[hypervisor.clh]\ndefault_vcpus = 1\n");
        e = Assert.Throws<ConfigException>(() => HypervisorConfigLoader.Load(both));
        Assert.Equal($"{both}:1: [hypervisor.qemu] and {both}:4: [hypervisor.clh]: a configuration names one hypervisor", e.Message);
    }
}
