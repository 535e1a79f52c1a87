using SandboxRt.Runtime.Configuration;
using SandboxRt.Shim.Cache;

namespace SandboxRt.UnitTests.Shim;

/// <summary>Which pods `start` offers to the VM cache (VmCache.Suits).</summary>
[Trait("Tier", "unit")]
public sealed class VmCacheSuitsTests
{
    private const string NoNetwork = """{"ociVersion":"1.2.0","root":{"path":"rootfs"},"process":{"args":["true"],"cwd":"/"},"linux":{"namespaces":[{"type":"network"},{"type":"mount"}]}}""";
    private const string WithNetwork = """{"ociVersion":"1.2.0","root":{"path":"rootfs"},"process":{"args":["true"],"cwd":"/"},"linux":{"namespaces":[{"type":"network","path":"/var/run/netns/cni-1"},{"type":"mount"}]}}""";

    private static HypervisorConfig Config(string machine = "q35", bool template = true, string hypervisor = "qemu") =>
        new() { Hypervisor = hypervisor, Qemu = new QemuConfig { MachineType = machine, VmTemplate = template } };

    [Fact]
    public void A_pod_without_a_network_namespace_path_suits_every_cache()
    {
        using var bundle = new TempDirectory();
        bundle.File("config.json", NoNetwork);
        Assert.True(VmCache.Suits(bundle.Path, Config()));
        Assert.True(VmCache.Suits(bundle.Path, Config(template: false)));
        Assert.True(VmCache.Suits(bundle.Path, Config(machine: "microvm")));
    }

    [Fact]
    public void A_pod_with_a_network_suits_only_q35_clones_whose_root_ports_take_its_nics()
    {
        using var bundle = new TempDirectory();
        bundle.File("config.json", WithNetwork);
        Assert.True(VmCache.Suits(bundle.Path, Config()));
        Assert.False(VmCache.Suits(bundle.Path, Config(template: false)));
        Assert.False(VmCache.Suits(bundle.Path, Config(machine: "microvm")));
        Assert.False(VmCache.Suits(bundle.Path, Config(hypervisor: "clh")));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("{ not json")]
    public void A_bundle_whose_spec_does_not_load_is_not_offered(string? config)
    {
        using var bundle = new TempDirectory();
        if (config is not null)
            bundle.File("config.json", config);
        Assert.False(VmCache.Suits(bundle.Path, Config()));
    }
}
