using SandboxRt.Runtime.Configuration;

namespace SandboxRt.UnitTests.Configuration;

/// <summary>What the VM template and VM cache keys record of a configured file.</summary>
[Trait("Tier", "unit")]
public sealed class FileStampTests
{
    [Fact]
    public void A_link_stands_for_what_it_names_so_a_rewrite_behind_it_and_a_new_target_both_change_the_vm_cache_key()
    {
        using var dir = new TempDirectory();
        var first = dir.File("vmlinux-1", "kernel one");
        var link = Path.Combine(dir.Path, "vmlinux");
        File.CreateSymbolicLink(link, first);
        Assert.Equal($"10 {File.GetLastWriteTimeUtc(first).Ticks}", FileStamp.Of(link));
        var config = new HypervisorConfig { Kernel = link };
        var key = VmCacheKey.For(config);
        Assert.Equal(key, VmCacheKey.For(config));

        File.WriteAllText(first, "kernel one, rebuilt in place"); // the link untouched
        var rewritten = VmCacheKey.For(config);
        Assert.NotEqual(key, rewritten);

        File.Delete(link);
        File.CreateSymbolicLink(link, dir.File("vmlinux-2", "kernel two"));
        Assert.NotEqual(rewritten, VmCacheKey.For(config));
    }

    [Fact]
    public void Nothing_there_a_dangling_link_and_a_directory_are_missing()
    {
        using var dir = new TempDirectory();
        Assert.Equal("missing", FileStamp.Of(Path.Combine(dir.Path, "none")));
        var link = Path.Combine(dir.Path, "dangling");
        File.CreateSymbolicLink(link, Path.Combine(dir.Path, "none"));
        Assert.Equal("missing", FileStamp.Of(link));
        Assert.Equal("missing", FileStamp.Of(dir.Path));
    }
}
