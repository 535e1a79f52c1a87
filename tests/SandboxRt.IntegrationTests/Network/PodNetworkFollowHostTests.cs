using SandboxRt.IntegrationTests.Support;
using SandboxRt.Runtime.Network;

namespace SandboxRt.IntegrationTests.Network;

/// <summary>
/// What PodNetwork.FollowChanges reports after the namespace changed, without a VM: a route added is new,
/// one deleted is gone (until 2026-12-07 nothing reported it, and the guest kept it), and the routes of an
/// interface that goes are not reported as gone: they go with its NIC.
/// </summary>
[Trait("Tier", "host")]
public sealed class PodNetworkFollowHostTests
{
    [Fact]
    public async Task A_route_deleted_in_the_namespace_is_gone_and_an_interfaces_routes_go_with_it()
    {
        TestEnvironment.RequireRoot();
        using var net = await TestNetworkPair.CreateAsync();
        using var state = new ScratchDirectory("srt-follow");
        var pod = PodNetwork.Attach(net.PodNamespacePath, state.Path);
        try
        {
            string[] route = ["10.99.0.0/16", "via", net.PeerAddress, "dev", "eth0"];
            await TestNetworkPair.Ip(["-n", net.Pod, "route", "add", .. route]);
            var change = pod.FollowChanges();
            var added = Assert.Single(change.NewRoutes);
            Assert.Equal(("eth0", "10.99.0.0", 16, net.PeerAddress), (added.Device, added.Destination?.ToString(), added.PrefixLength, added.Gateway?.ToString()));
            Assert.Empty(change.GoneRoutes);

            await TestNetworkPair.Ip(["-n", net.Pod, "route", "del", .. route]);
            change = pod.FollowChanges();
            Assert.Equal(added, Assert.Single(change.GoneRoutes));
            Assert.Empty(change.NewRoutes);
            Assert.True(pod.FollowChanges().IsEmpty); // reported once

            await net.AddSecondLinkAsync(); // docker network connect: eth1 with its subnet's route
            change = pod.FollowChanges();
            change.ReleaseTaps();
            Assert.Contains(change.NewRoutes, r => r.Device == "eth1");
            await net.RemoveSecondLinkAsync();
            change = pod.FollowChanges();
            Assert.Equal("eth1", Assert.Single(change.Removed).Name);
            Assert.Empty(change.GoneRoutes);
        }
        finally
        {
            pod.Detach();
        }
        Assert.Equal("", await net.PodLeftoversAsync());
    }
}
