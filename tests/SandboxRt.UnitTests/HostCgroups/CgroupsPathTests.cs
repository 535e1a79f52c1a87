using SandboxRt.Runtime.HostCgroups;

namespace SandboxRt.UnitTests.HostCgroups;

[Trait("Tier", "unit")]
public sealed class CgroupsPathTests
{
    [Theory]
    [InlineData("/docker/58801078b6e6", "/docker/58801078b6e6")]
    [InlineData("/k8s.io/76f61d44d5c0", "/k8s.io/76f61d44d5c0")]
    [InlineData("/a//b/./c/", "/a/b/c")]
    [InlineData("/../../etc", "/etc")]
    [InlineData("relative/x", "relative/x")]
    [InlineData("../../up", "up")]
    public void Cgroupfs_paths_are_cleaned_as_runc_cleans_them(string spec, string expected) =>
        Assert.Equal(expected, CgroupsPath.Resolve(spec));

    [Theory]
    [InlineData("system.slice:docker:abc", "/system.slice/docker-abc.scope")]
    [InlineData("kubepods-besteffort-pod12.slice:cri-containerd:abc", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod12.slice/cri-containerd-abc.scope")]
    [InlineData(":libpod:abc", "/system.slice/libpod-abc.scope")]
    [InlineData("-.slice:docker:abc", "/docker-abc.scope")]
    [InlineData("user.slice:x:my.slice", "/user.slice/my.slice")]
    public void Systemd_paths_land_where_systemd_would_put_the_unit(string spec, string expected) =>
        Assert.Equal(expected, CgroupsPath.Resolve(spec));

    [Theory]
    [InlineData("bad:docker:abc")]
    [InlineData("a--b.slice:docker:abc")]
    [InlineData("-a.slice:docker:abc")]
    [InlineData("system.slice:docker:")]
    [InlineData("system.slice:docker:a/b")]
    public void Malformed_systemd_paths_are_refused_naming_the_field(string spec) =>
        Assert.Contains("linux.cgroupsPath", Assert.Throws<ArgumentException>(() => CgroupsPath.Resolve(spec)).Message);

    [Fact]
    public void No_path_means_no_host_cgroup()
    {
        Assert.Null(CgroupsPath.Resolve(null));
        Assert.Null(CgroupsPath.Resolve(""));
    }
}
