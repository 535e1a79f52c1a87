using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Containers;

namespace SandboxRt.UnitTests.Containers;

/// <summary>
/// The host's half of a guest /dev/shm: a bind of a directory on a host tmpfs at /dev/shm becomes a marked
/// guest tmpfs of that tmpfs's size (the same directory, the same key); anything else stays a bind.
/// </summary>
[Trait("Tier", "unit")]
public sealed class ShmMountRewriteTests : IDisposable
{
    // the host's /dev/shm is a tmpfs on every Linux this runs on
    private readonly string _onTmpfs = Path.Combine("/dev/shm", "srt-shm-test-" + Guid.NewGuid().ToString("N"));

    public ShmMountRewriteTests() => Directory.CreateDirectory(_onTmpfs);

    public void Dispose() => Directory.Delete(_onTmpfs);

    private static Mount Bind(string destination, string source, params string[] extra) =>
        new() { Destination = destination, Type = "bind", Source = source, Options = ["rbind", "rprivate", .. extra] };

    [Fact]
    public void A_bind_of_a_host_tmpfs_at_dev_shm_becomes_a_marked_guest_tmpfs_of_its_size()
    {
        var shm = ShmMountRewrite.ForGuest(Bind("/dev/shm", _onTmpfs, "ro"), _onTmpfs);
        Assert.NotNull(shm);
        Assert.Equal(("tmpfs", "shm", "/dev/shm"), (shm.Type, shm.Source, shm.Destination));
        var size = Assert.Single(shm.Options!, o => o.StartsWith("size=", StringComparison.Ordinal));
        Assert.True(ulong.Parse(size["size=".Length..]) > 0);
        Assert.Contains(GuestShm.KeyOption + ShmMountRewrite.KeyOf(_onTmpfs), shm.Options!);
        Assert.Contains("ro", shm.Options!);
        Assert.Equal(GuestShm.KeyLength, ShmMountRewrite.KeyOf(_onTmpfs).Length);
        Assert.Equal(ShmMountRewrite.KeyOf(_onTmpfs), ShmMountRewrite.KeyOf(_onTmpfs + "/"));
    }

    [Fact]
    public void Other_destinations_and_sources_not_on_a_tmpfs_stay_binds()
    {
        Assert.Null(ShmMountRewrite.ForGuest(Bind("/data", _onTmpfs), _onTmpfs));
        var onDisk = AppContext.BaseDirectory;
        Assert.Null(ShmMountRewrite.ForGuest(Bind("/dev/shm", onDisk), onDisk));
        Assert.Null(ShmMountRewrite.ForGuest(Bind("/dev/shm", "/nonexistent/shm"), "/nonexistent/shm"));
        Assert.Null(ShmMountRewrite.ForGuest(new Mount { Destination = "/dev/shm", Type = "tmpfs", Source = "shm" }, "shm"));
    }
}
