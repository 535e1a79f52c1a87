using SandboxRt.Agent.Containers;
using SandboxRt.Oci.Spec;

namespace SandboxRt.Agent.UnitTests.Containers;

/// <summary>
/// Bind sources the host sends: paths relative to the shared directory, or, marked GuestSystemMount.Option,
/// the guest's own /proc or /sys (a bind of the host's, which never reaches the VM). The marker is dropped,
/// and it cannot name anything else.
/// </summary>
[Trait("Tier", "unit")]
public sealed class SpecPathsTests
{
    private static Spec With(string source, params string[] options) =>
        new() { Mounts = [new Mount { Destination = "/host/proc", Type = "bind", Source = source, Options = ["rbind", "ro", .. options] }] };

    [Fact]
    public void A_marked_bind_keeps_the_guests_own_proc_or_sys_path_without_the_marker()
    {
        var spec = With("/proc", GuestSystemMount.Option);
        SpecPaths.ResolveMountSources(spec);
        Assert.Equal("/proc", spec.Mounts![0].Source);
        Assert.Equal(["rbind", "ro"], spec.Mounts[0].Options);

        spec = With("/sys/fs/cgroup/", GuestSystemMount.Option);
        SpecPaths.ResolveMountSources(spec);
        Assert.Equal("/sys/fs/cgroup", spec.Mounts![0].Source);
    }

    [Theory]
    [InlineData("/etc")]
    [InlineData("/proc/../etc")]
    [InlineData("/run/sandboxrt/shared/c1/rootfs")]
    [InlineData("proc")]
    public void A_marked_bind_of_anything_else_is_refused_naming_the_field(string source)
    {
        var e = Assert.Throws<ArgumentException>(() => SpecPaths.ResolveMountSources(With(source, GuestSystemMount.Option)));
        Assert.StartsWith("mounts[0].source:", e.Message);
    }

    [Fact]
    public void An_unmarked_bind_is_a_path_in_the_shared_directory_and_an_absolute_one_is_refused()
    {
        var spec = With("c1/mounts/0");
        SpecPaths.ResolveMountSources(spec);
        Assert.Equal(GuestPaths.SharedMount + "/c1/mounts/0", spec.Mounts![0].Source);

        Assert.Throws<ArgumentException>(() => SpecPaths.ResolveMountSources(With("/proc")));
    }
}
