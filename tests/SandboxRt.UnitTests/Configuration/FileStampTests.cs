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
    public void A_configuration_that_boots_the_initrd_has_a_vm_cache_key()
    {
        // "image": "" (the initrd, as Debian's kernel needs) made VmCacheKey.For throw "The value cannot be an
        // empty string", and with vm_cache_number set every create failed with that message
        var initrd = new HypervisorConfig { Image = "" };
        Assert.Matches("^[0-9a-f]{16}$", VmCacheKey.For(initrd));
        Assert.NotEqual(VmCacheKey.For(new HypervisorConfig()), VmCacheKey.For(initrd));
    }

    [Fact]
    public void Nothing_there_a_dangling_link_a_directory_and_a_loop_of_links_are_missing()
    {
        using var dir = new TempDirectory();
        Assert.Equal("missing", FileStamp.Of(Path.Combine(dir.Path, "none")));
        var link = Path.Combine(dir.Path, "dangling");
        File.CreateSymbolicLink(link, Path.Combine(dir.Path, "none"));
        Assert.Equal("missing", FileStamp.Of(link));
        Assert.Equal("missing", FileStamp.Of(dir.Path));
        File.CreateSymbolicLink(Path.Combine(dir.Path, "a"), Path.Combine(dir.Path, "b"));
        File.CreateSymbolicLink(Path.Combine(dir.Path, "b"), Path.Combine(dir.Path, "a"));
        Assert.Equal("missing", FileStamp.Of(Path.Combine(dir.Path, "a"))); // ELOOP, not an exception
        Assert.Equal("missing", FileStamp.Of(""));
    }
}
