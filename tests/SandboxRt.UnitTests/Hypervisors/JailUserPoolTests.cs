using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.Hypervisors.Jail;

namespace SandboxRt.UnitTests.Hypervisors;

[Trait("Tier", "unit")]
public sealed class JailUserPoolTests
{
    private const uint First = 2_147_200_000; // no process on a test host runs as these

    [Fact]
    public void Each_sandbox_gets_its_own_uid_until_the_range_is_used_up()
    {
        using var dir = new TempDirectory();
        var pool = new JailUserPool(Path.Combine(dir.Path, "users"), First, 2);
        var a = Owner(dir, "a");
        var b = Owner(dir, "b");
        var userA = pool.Reserve(a);
        var userB = pool.Reserve(b);
        Assert.NotEqual(userA.Uid, userB.Uid);
        Assert.Equal(userA.Uid, userA.Gid);
        Assert.All(new[] { userA, userB }, u => Assert.InRange(u.Uid, First, First + 1));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(pool.Directory, userA.Uid.ToString())));
        var e = Assert.Throws<HypervisorException>(() => pool.Reserve(Owner(dir, "c")));
        Assert.Contains("jail_uid_first", e.Message);
    }

    [Fact]
    public void Only_the_owner_frees_a_uid_and_the_record_survives_the_process()
    {
        using var dir = new TempDirectory();
        var pool = new JailUserPool(Path.Combine(dir.Path, "users"), First, 1);
        var a = Owner(dir, "a");
        var user = pool.Reserve(a);
        pool.Release(user, Owner(dir, "intruder"));
        Assert.Equal(a, pool.OwnerOf(user.Uid));
        var record = Path.Combine(a, "jail-user");
        pool.WriteRecord(record, user, a);
        JailUserPool.ReleaseRecorded(record); // as delete does, in another process
        Assert.Null(pool.OwnerOf(user.Uid));
        Assert.False(File.Exists(record));
        JailUserPool.ReleaseRecorded(record); // twice is harmless
    }

    [Fact]
    public void A_reservation_whose_sandbox_is_gone_and_whose_uid_runs_nothing_is_taken_over()
    {
        using var dir = new TempDirectory();
        var pool = new JailUserPool(Path.Combine(dir.Path, "users"), First, 1);
        var crashed = Owner(dir, "crashed");
        var user = pool.Reserve(crashed);
        Assert.Throws<HypervisorException>(() => pool.Reserve(Owner(dir, "next"))); // its owner still exists: not stale
        Directory.Delete(crashed);
        Assert.Equal(user, pool.Reserve(Path.Combine(dir.Path, "next")));
        Assert.Equal(Path.Combine(dir.Path, "next"), pool.OwnerOf(user.Uid));
    }

    private static string Owner(TempDirectory dir, string name)
    {
        var path = Path.Combine(dir.Path, name);
        Directory.CreateDirectory(path);
        return path;
    }
}
