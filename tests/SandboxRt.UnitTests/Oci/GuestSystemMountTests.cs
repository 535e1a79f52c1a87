using SandboxRt.Oci.Spec;

namespace SandboxRt.UnitTests.Oci;

/// <summary>Which bind sources are the host's /proc or /sys (Kata's isSystemMount): lexically, nothing looked up.</summary>
[Trait("Tier", "unit")]
public sealed class GuestSystemMountTests
{
    [Theory]
    [InlineData("/proc", "/proc")]
    [InlineData("/proc/", "/proc")]
    [InlineData("/sys", "/sys")]
    [InlineData("/sys/fs/cgroup", "/sys/fs/cgroup")]
    [InlineData("/sys/./kernel/../fs//cgroup/", "/sys/fs/cgroup")]
    [InlineData("/proc/1/mountinfo", "/proc/1/mountinfo")]
    [InlineData("/var/../proc", "/proc")]
    public void Proc_sys_and_paths_below_them_are_system_mounts(string source, string guestPath) =>
        Assert.Equal(guestPath, GuestSystemMount.SystemPath(source));

    [Theory]
    [InlineData("/")]
    [InlineData("/process")]
    [InlineData("/sysroot/etc")]
    [InlineData("/proc/../etc")]
    [InlineData("/var/lib/docker/volumes/proc")]
    [InlineData("proc")]
    [InlineData("sys/fs")]
    [InlineData("")]
    public void Anything_else_is_not(string source) => Assert.Null(GuestSystemMount.SystemPath(source));
}
