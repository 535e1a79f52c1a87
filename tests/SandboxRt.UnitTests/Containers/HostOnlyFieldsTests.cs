using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Containers;

namespace SandboxRt.UnitTests.Containers;

/// <summary>
/// Problems only the host sees in a spec (BundleSpecRewriter.CheckHostOnlyFields). A spec that lists
/// namespaces but no network one asks for the host's network under runc (podman run --network host, a
/// Kubernetes hostNetwork pod, ctr run --net-host): a VM cannot share it, so the create is refused naming
/// the field, where before the container got a loopback of its own and nothing said so. An overlay of
/// host directories (podman's -v SOURCE:DEST:O) failed in the guest, which has no such paths.
/// </summary>
[Trait("Tier", "unit")]
public sealed class HostOnlyFieldsTests
{
    private static Spec With(params string[] types) =>
        new() { Linux = new Linux { Namespaces = types.Select(t => new LinuxNamespace { Type = t }).ToList() } };

    [Fact]
    public void Namespaces_without_a_network_one_are_refused_as_host_networking()
    {
        var e = Assert.Throws<SpecValidationException>(() => BundleSpecRewriter.CheckHostOnlyFields(With("pid", "ipc", "uts", "mount")));
        Assert.Contains("linux.namespaces: there is no network namespace", e.Message);
        Assert.Contains("host networking is not supported", e.Message);
    }

    [Fact]
    public void A_network_namespace_of_its_own_or_no_namespace_list_at_all_is_accepted()
    {
        BundleSpecRewriter.CheckHostOnlyFields(With("pid", "ipc", "uts", "mount", "network"));
        BundleSpecRewriter.CheckHostOnlyFields(new Spec { Linux = new Linux() });
        BundleSpecRewriter.CheckHostOnlyFields(new Spec());
        BundleSpecRewriter.CheckHostOnlyFields(With("pid", "ipc", "uts", "mount"), refuseHostNetwork: false); // the shim's hostNetwork pod
    }

    [Fact]
    public void An_overlay_of_host_directories_is_refused_naming_the_mount()
    {
        var spec = With("mount", "network");
        spec.Mounts = [new Mount { Destination = "/tmp", Type = "tmpfs", Source = "tmpfs" },
            new Mount { Destination = "/o", Type = "overlay", Source = "overlay", Options = ["lowerdir=/srv/lower", "upperdir=/var/lib/c/upper", "workdir=/var/lib/c/work", "private"] }];
        var e = Assert.Throws<SpecValidationException>(() => BundleSpecRewriter.CheckHostOnlyFields(spec));
        Assert.Contains("mounts[1]: an overlay of host directories", e.Message);
    }
}
