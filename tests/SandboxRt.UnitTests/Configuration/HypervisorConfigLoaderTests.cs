using SandboxRt.Runtime.Configuration;

namespace SandboxRt.UnitTests.Configuration;

[Trait("Tier", "unit")]
public sealed class HypervisorConfigLoaderTests
{
    private static readonly string RepoConfig = Path.Combine(AppContext.BaseDirectory, "hypervisor-configs", "qemu.json");

    [Fact]
    public void The_shipped_file_parses_and_matches_the_built_in_defaults()
    {
        var loaded = HypervisorConfigLoader.Load(RepoConfig);
        var defaults = new HypervisorConfig();
        Assert.Equal(defaults with { SourcePath = loaded.SourcePath, Qemu = defaults.Qemu with { ExtraArgs = loaded.Qemu.ExtraArgs, JailPaths = loaded.Qemu.JailPaths } }, loaded);
        Assert.Equal(defaults.Qemu.JailPaths, loaded.Qemu.JailPaths);
        Assert.Empty(loaded.Qemu.ExtraArgs);
    }

    [Fact]
    public void Comments_trailing_commas_and_relative_paths_are_accepted()
    {
        using var dir = new TempDirectory();
        var path = dir.File("q.json", """
            // a comment
            { "kernel": "images/vmlinux", /* inline */ "default_vcpus": 2, }
            """);
        var config = HypervisorConfigLoader.Load(path);
        Assert.Equal(Path.Combine(dir.Path, "images", "vmlinux"), config.Kernel);
        Assert.Equal(2, config.DefaultVcpus);
        Assert.Equal(path, config.SourcePath);
    }

    [Fact]
    public void Overrides_replace_fields_with_typed_values()
    {
        var config = HypervisorConfigLoader.Load(RepoConfig, new Dictionary<string, string>
        {
            ["default_memory_mib"] = "1024",
            ["machine_type"] = "microvm",
            ["debug"] = "true",
        });
        Assert.Equal(1024, config.DefaultMemoryMib);
        Assert.Equal("microvm", config.Qemu.MachineType);
        Assert.True(config.Debug);
    }

    [Fact]
    public void An_unknown_field_is_named_in_the_error()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<ConfigException>(() => HypervisorConfigLoader.Load(dir.File("q.json", """{ "memory": 5 }""")));
        Assert.Contains("unknown option 'memory'", e.Message);
        Assert.Contains("q.json", e.Message);
    }

    [Theory]
    [InlineData("machine_type", "\"virt\"", "machine_type")]
    [InlineData("default_vcpus", "0", "default_vcpus")]
    [InlineData("accelerator", "\"hvf\"", "accelerator")]
    [InlineData("guest_channel", "\"tcp\"", "guest_channel")]
    [InlineData("default_memory_mib", "\"lots\"", "default_memory_mib")]
    [InlineData("console_log_max_bytes", "4096", "console_log_max_bytes: 4096 is below 65536")]
    [InlineData("qemu_log_max_bytes", "0", "qemu.log_max_bytes")]
    [InlineData("jail_uid_first", "0", "jail_uid_first")]
    [InlineData("jail_uid_count", "4294967295", "jail_uid_count")]
    [InlineData("jail_paths", "[\"share/qemu\"]", "jail_paths: 'share/qemu' is not an absolute path")]
    [InlineData("virtio_fs_cache", "\"sometimes\"", "virtio_fs_cache: 'sometimes' is not one of auto, always, never")]
    [InlineData("virtio_fs_cache", "\"metadata\"", "metadata needs the Rust virtiofsd")]
    [InlineData("vm_cache_number", "17", "vm_cache_number: 17 is outside 0..16")]
    [InlineData("vm_cache_number", "-1", "vm_cache_number: -1 is outside 0..16")]
    [InlineData("vm_cache_idle_seconds", "-5", "vm_cache_idle_seconds: -5 is outside 0..604800")]
    [InlineData("kernel_params", "\"console=ttyS0 console=hvc0 quiet\"", "kernel_params: the last console= is 'hvc0', but the agent logs to the console and the host reads it on ttyS0")]
    public void Invalid_values_name_the_field(string field, string json, string expected)
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<ConfigException>(() => HypervisorConfigLoader.Load(dir.File("q.json", $$"""{ "{{field}}": {{json}} }""")));
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("", "console=ttyS0")]
    [InlineData("quiet panic=-1", "console=ttyS0 quiet panic=-1")]
    [InlineData("console=ttyS0,115200 quiet", "console=ttyS0,115200 quiet")]
    [InlineData("console=tty0 console=ttyS0", "console=tty0 console=ttyS0")]
    public void Kernel_params_without_a_console_get_the_serial_port_the_host_reads(string configured, string loaded)
    {
        var config = HypervisorConfigLoader.Load(RepoConfig, new Dictionary<string, string> { ["kernel_params"] = configured });
        Assert.Equal(loaded, config.KernelParams);
    }

    [Theory]
    [InlineData("auto", "auto")]
    [InlineData("always", "always")]
    [InlineData("never", "none")] // QEMU 7.2's virtiofsd calls it none
    public void Virtio_fs_cache_becomes_virtiofsds_cache_option(string mode, string option)
    {
        var config = HypervisorConfigLoader.Load(RepoConfig, new Dictionary<string, string> { ["virtio_fs_cache"] = mode });
        Assert.Equal(mode, config.VirtioFsCache);
        Assert.Equal(option, config.VirtiofsdCacheOption());
    }

    [Fact]
    public void Broken_json_reports_the_line()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<ConfigException>(() => HypervisorConfigLoader.Load(dir.File("q.json", "{\n\"path\": \n}")));
        Assert.Contains("line", e.Message);
    }

    [Fact]
    public void A_missing_explicit_file_is_an_error() =>
        Assert.Contains("does not exist", Assert.Throws<ConfigException>(() => HypervisorConfigLoader.Load("/nonexistent/q.json")).Message);
}
