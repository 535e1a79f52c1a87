using SandboxRt.Shim.Cli;

namespace SandboxRt.UnitTests.Shim;

[Trait("Tier", "unit")]
public sealed class PodIdentityTests
{
    [Fact]
    public void A_cri_app_container_belongs_to_its_sandbox_and_everything_else_to_itself()
    {
        using var dir = new TempDirectory();
        dir.File("config.json", """{"ociVersion":"1.0.2","annotations":{"io.kubernetes.cri.container-type":"container","io.kubernetes.cri.sandbox-id":"pod1"}}""");
        Assert.Equal("pod1", PodIdentity.Of("app1", dir.Path));
        dir.File("config.json", """{"ociVersion":"1.0.2","annotations":{"io.kubernetes.cri.container-type":"sandbox","io.kubernetes.cri.sandbox-id":"pod1"}}""");
        Assert.Equal("pod1x", PodIdentity.Of("pod1x", dir.Path));
        dir.File("config.json", """{"ociVersion":"1.0.2"}""");
        Assert.Equal("plain", PodIdentity.Of("plain", dir.Path));
    }

    [Fact]
    public void The_shim_directory_is_per_containerd_namespace_and_pod_and_short()
    {
        var a = ShimPaths.Directory("/run/containerd/containerd.sock", "k8s.io", "pod1");
        Assert.Equal(a, ShimPaths.Directory("/run/containerd/containerd.sock", "k8s.io", "pod1"));
        Assert.NotEqual(a, ShimPaths.Directory("/run/containerd/containerd.sock", "default", "pod1"));
        Assert.NotEqual(a, ShimPaths.Directory("/tmp/other.sock", "k8s.io", "pod1"));
        Assert.True(ShimPaths.Socket(a).Length < 108, "fits in sun_path");
    }

    [Fact]
    public void A_pod_id_that_is_not_a_runc_id_is_refused_before_it_names_a_directory()
    {
        using var dir = new TempDirectory();
        dir.File("config.json", """{"ociVersion":"1.0.2","annotations":{"io.kubernetes.cri.container-type":"container","io.kubernetes.cri.sandbox-id":"../../etc"}}""");
        Assert.StartsWith("invalid container ID format", Assert.Throws<ArgumentException>(() => PodIdentity.Of("app1", dir.Path)).Message);
        Assert.StartsWith("invalid container ID format", Assert.Throws<ArgumentException>(() => PodIdentity.Of("../x", "/nonexistent")).Message);
    }

    [Fact]
    public void A_broken_config_json_is_named_in_the_error()
    {
        using var dir = new TempDirectory();
        var path = dir.File("config.json", "{not json");
        Assert.Contains(path, Assert.ThrowsAny<ArgumentException>(() => PodIdentity.Of("x", dir.Path)).Message);
    }
}
