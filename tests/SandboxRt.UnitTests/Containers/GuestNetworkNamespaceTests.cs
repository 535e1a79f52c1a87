using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Containers;

namespace SandboxRt.UnitTests.Containers;

/// <summary>
/// The guest spec's network namespace: the VM's (the agent's) whenever the host gave the VM the
/// container's network (a pod's path, a joined container's, a mirrored new namespace), so that net.*
/// sysctls stay valid (they were refused as not namespaced when the entry was dropped); a new namespace
/// nobody mirrored stays the container's own.
/// </summary>
[Trait("Tier", "unit")]
public sealed class GuestNetworkNamespaceTests
{
    private static Spec WithNetwork(string? path) => new()
    {
        Linux = new Linux
        {
            Namespaces = [new() { Type = "pid" }, new() { Type = "network", Path = path }],
            Sysctl = new() { ["net.ipv4.ping_group_range"] = "0 0" },
        },
    };

    private static string? NetworkPath(Spec spec) => spec.Linux!.Namespaces!.Single(n => n.Type == "network").Path;

    [Fact]
    public void A_pods_namespace_path_becomes_the_vms_and_its_net_sysctls_stay_valid()
    {
        var spec = WithNetwork("/run/netns/cni-1234");

        BundleSpecRewriter.NameTheVmsNetwork(spec, networkMirrored: false);

        Assert.Equal(BundleSpecRewriter.GuestNetworkNamespace, NetworkPath(spec));
        Assert.DoesNotContain("linux.sysctl", SpecProblems(spec));
        // what the guest was given before: no network entry, and the sysctl refused
        spec.Linux!.Namespaces!.RemoveAll(n => n.Type == "network");
        Assert.Contains("linux.sysctl.net.ipv4.ping_group_range: is not namespaced", SpecProblems(spec));
    }

    private static string SpecProblems(Spec spec) =>
        Record.Exception(() => SandboxRt.Oci.Validation.SpecValidator.Validate(spec))?.Message ?? "";

    [Fact]
    public void A_mirrored_new_namespace_becomes_the_vms_and_one_nobody_mirrored_stays_new()
    {
        var mirrored = WithNetwork(null);
        BundleSpecRewriter.NameTheVmsNetwork(mirrored, networkMirrored: true);
        Assert.Equal(BundleSpecRewriter.GuestNetworkNamespace, NetworkPath(mirrored));

        var own = WithNetwork(null);
        BundleSpecRewriter.NameTheVmsNetwork(own, networkMirrored: false);
        Assert.Null(NetworkPath(own));
    }

    [Fact]
    public void A_spec_without_a_network_namespace_gets_none()
    {
        var spec = new Spec { Linux = new Linux { Namespaces = [new() { Type = "pid" }] } };

        BundleSpecRewriter.NameTheVmsNetwork(spec, networkMirrored: true);

        Assert.DoesNotContain(spec.Linux.Namespaces, n => n.Type == "network");
    }
}
