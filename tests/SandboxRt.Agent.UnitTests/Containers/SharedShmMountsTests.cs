using SandboxRt.Agent.Containers;
using SandboxRt.Interop;
using SandboxRt.Oci.Spec;

namespace SandboxRt.Agent.UnitTests.Containers;

/// <summary>
/// The agent's half of a guest /dev/shm (GuestShm): a marked tmpfs becomes a bind of one tmpfs per key,
/// mounted once (with the size and mode of the first), so containers with the same key share it; a
/// malformed marker is refused naming the field.
/// </summary>
[Trait("Tier", "unit")]
public sealed class SharedShmMountsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("srt-shm-").FullName;
    private readonly List<string> _mounted = [];

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void FakeMount(string source, string target, MountFlags flags, string data) => _mounted.Add($"{source} {Path.GetFileName(target)} {flags} {data}");

    private static Spec WithShm(string key, params string[] extra) => new()
    {
        Mounts =
        [
            new Mount { Destination = "/proc", Type = "proc", Source = "proc" },
            new Mount { Destination = "/dev/shm", Type = "tmpfs", Source = "shm", Options = ["nosuid", "nodev", "noexec", "mode=1777", "size=67108864", GuestShm.KeyOption + key, .. extra] },
        ],
    };

    [Fact]
    public void A_marked_tmpfs_becomes_a_bind_of_the_keys_tmpfs_mounted_once_for_every_container_with_that_key()
    {
        var first = WithShm("0123456789abcdef");
        var second = WithShm("0123456789abcdef", "ro");
        var other = WithShm("fedcba9876543210");
        SharedShmMounts.Resolve(first, _root, FakeMount);
        SharedShmMounts.Resolve(second, _root, FakeMount);
        SharedShmMounts.Resolve(other, _root, FakeMount);

        Assert.Equal(
            [$"shm 0123456789abcdef {MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec} mode=1777,size=67108864",
             $"shm fedcba9876543210 {MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec} mode=1777,size=67108864"],
            _mounted);
        var shm = first.Mounts![1];
        Assert.Equal(("bind", Path.Combine(_root, "0123456789abcdef")), (shm.Type, shm.Source));
        Assert.Equal(["rbind", "nosuid", "nodev", "noexec"], shm.Options);
        Assert.Equal(shm.Source, second.Mounts![1].Source);
        Assert.Contains("ro", second.Mounts![1].Options!);
        Assert.Equal("proc", first.Mounts[0].Type); // unmarked mounts are left alone
    }

    [Theory]
    [InlineData("../../../etc")]
    [InlineData("0123456789ABCDEF")]
    [InlineData("0123")]
    public void A_malformed_key_is_refused_naming_the_field(string key)
    {
        var e = Assert.Throws<ArgumentException>(() => SharedShmMounts.Resolve(WithShm(key), _root, FakeMount));
        Assert.StartsWith("mounts[1].options:", e.Message);
        Assert.Empty(_mounted);
    }
}
