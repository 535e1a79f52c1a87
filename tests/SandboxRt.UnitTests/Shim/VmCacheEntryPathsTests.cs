using SandboxRt.Shim.Cache;
using SandboxRt.Shim.Cli;

namespace SandboxRt.UnitTests.Shim;

[Trait("Tier", "unit")]
public sealed class VmCacheEntryPathsTests
{
    [Fact]
    public void An_entry_is_a_twelve_hex_digit_directory_two_levels_under_the_cache_root()
    {
        var entry = VmCacheEntryPaths.Of("/run/sandboxrt/shim/vm-cache/0123456789abcdef/a1b2c3d4e5f6");
        Assert.NotNull(entry);
        Assert.Equal("a1b2c3d4e5f6", entry.Name);
        Assert.Equal("/run/sandboxrt/shim/vm-cache/0123456789abcdef/a1b2c3d4e5f6/cache-a1b2c3d4e5f6", entry.SandboxDirectory);
    }

    [Theory]
    [InlineData("/run/sandboxrt/shim/vm-cache/key/../../../../etc/a1b2c3d4e5f6")]
    [InlineData("/run/sandboxrt/shim/vm-cache/a1b2c3d4e5f6")]
    [InlineData("/run/sandboxrt/shim/vm-cache/key/sub/a1b2c3d4e5f6")]
    [InlineData("/run/sandboxrt/shim/vm-cache/key/A1B2C3D4E5F6")]
    [InlineData("/run/sandboxrt/shim/vm-cache/key/a1b2c3d4e5f")]
    [InlineData("/run/sandboxrt/shim/0123456789abcdef/a1b2c3d4e5f6")]
    public void Anything_else_is_not_an_entry(string path) => Assert.Null(VmCacheEntryPaths.Of(path));

    [Fact]
    public void A_pod_records_sandbox_directory_tells_whether_its_vm_came_from_the_cache()
    {
        Assert.NotNull(VmCacheEntryPaths.Of(Path.GetDirectoryName("/run/sandboxrt/shim/vm-cache/k/a1b2c3d4e5f6/cache-a1b2c3d4e5f6")!));
        Assert.Null(VmCacheEntryPaths.Of(Path.GetDirectoryName("/run/sandboxrt/shim/0123456789abcdef0123456789abcdef/pod")!));
    }

    [Fact]
    public void Start_runs_an_entry_with_its_directory_config_and_debug()
    {
        var flags = ShimFlags.Parse([.. ShimFlags.ForCacheEntry("/run/sandboxrt/shim/vm-cache/k/a1b2c3d4e5f6", "/etc/q.json", debug: true)]);
        Assert.Equal("/run/sandboxrt/shim/vm-cache/k/a1b2c3d4e5f6", flags.VmCacheEntry);
        Assert.Equal("/etc/q.json", flags.Config);
        Assert.True(flags.Debug);
        Assert.Equal("", flags.Action);
    }
}
