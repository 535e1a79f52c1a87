using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using SandboxRt.Interop;
using SandboxRt.Interop.Netlink;
using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.Host;

/// <summary>
/// The rtnetlink/tun library against the real kernel, inside network namespaces each test creates
/// (ip netns add srt-nl-*) and deletes: the host's own namespace is never touched. Every change made
/// through netlink is checked with ip(8) or tc(8) JSON output, an independent reader.
/// </summary>
[Trait("Tier", "host")]
public sealed class NetlinkHostTests
{
    [Fact]
    public async Task Lists_links_with_the_mac_mtu_and_kind_ip_reports()
    {
        await using var net = await TestNetwork.CreateAsync();
        var (links, byMac) = NetworkNamespace.RunIn(net.Path, () =>
        {
            using var netlink = RouteNetlink.Open();
            var all = netlink.ListLinks();
            return (all, netlink.FindByMac(all.Single(l => l.Name == TestNetwork.Veth).Mac));
        });

        var veth = Assert.Single(links, l => l.Name == TestNetwork.Veth);
        var shown = (await net.IpJsonAsync("link", "show", TestNetwork.Veth))[0];
        Assert.Equal(shown.GetProperty("ifindex").GetInt32(), veth.Index);
        Assert.Equal(shown.GetProperty("address").GetString(), Mac(veth.Mac));
        Assert.Equal(1500, veth.Mtu);
        Assert.Equal("veth", veth.Kind);
        Assert.False(veth.Up);
        Assert.Equal(veth.Index, byMac?.Index);

        var lo = Assert.Single(links, l => l.Name == "lo");
        Assert.True(lo.Loopback);
        Assert.Equal("", lo.Kind);
        Assert.DoesNotContain(links, l => l.Name == TestNetwork.Peer); // moved to the other namespace
    }

    /// <summary>
    /// The agent's wait for a hot-plugged NIC: a watch opened before the link exists wakes when ip(8) adds
    /// it (and again when it is moved away), with everything queued discarded at each wake.
    /// </summary>
    [Fact]
    public async Task A_link_watch_wakes_when_a_link_appears_and_when_it_goes()
    {
        await using var net = await TestNetwork.CreateAsync();
        using var watch = NetworkNamespace.RunIn(net.Path, RouteNetlink.OpenLinkWatch);
        var appeared = Task.Run(() => watch.WaitForLinkChange(TimeSpan.FromSeconds(30)));
        (await Command.RunAsync("ip", ["-n", net.Name, "link", "add", "srt-w0", "type", "veth", "peer", "name", "srt-w1"])).Ok();
        Assert.True(await appeared, "no link notification within 30 s of ip link add");
        (await Command.RunAsync("ip", ["-n", net.Name, "link", "set", "srt-w1", "netns", net.PeerName])).Ok();
        Assert.True(watch.WaitForLinkChange(TimeSpan.FromSeconds(30)), "no link notification within 30 s of the link moving away");
    }

    [Fact]
    public async Task Sets_mtu_and_up_and_renames_a_link_that_is_up()
    {
        await using var net = await TestNetwork.CreateAsync();
        using var netlink = NetworkNamespace.RunIn(net.Path, RouteNetlink.Open); // the socket keeps the namespace
        int index = netlink.FindByName(TestNetwork.Veth)!.Index;

        netlink.SetLink(index, mtu: 1400, up: true);
        var shown = (await net.IpJsonAsync("link", "show", TestNetwork.Veth))[0];
        Assert.Equal(1400, shown.GetProperty("mtu").GetInt32());
        Assert.Contains("UP", Flags(shown));

        netlink.SetLink(index, name: "srt-eth0");
        netlink.SetLink(index, name: "srt-eth0", mtu: 1450); // same name while up: not a rename, so no EBUSY
        shown = (await net.IpJsonAsync("link", "show", "srt-eth0"))[0];
        Assert.Equal(index, shown.GetProperty("ifindex").GetInt32());
        Assert.Equal(1450, shown.GetProperty("mtu").GetInt32());
        Assert.Contains("UP", Flags(shown)); // brought down for the rename, then up again

        netlink.SetLink(index, name: "srt-eth1", up: false);
        Assert.DoesNotContain("UP", Flags((await net.IpJsonAsync("link", "show", "srt-eth1"))[0]));

        var e = Assert.Throws<SyscallException>(() => netlink.SetLink(99999, mtu: 1400));
        Assert.Equal("netlink", e.Syscall);
        Assert.Equal(Errno.ENODEV, e.Errno);
        Assert.Equal(new[] { "RTM_NEWLINK", "dev 99999", "mtu 1400" }, e.Arguments.Take(3));
    }

    [Fact]
    public async Task Adds_addresses_routes_and_permanent_neighbours_that_ip_shows()
    {
        await using var net = await TestNetwork.CreateAsync();
        await net.UpPeerAsync();
        using var netlink = NetworkNamespace.RunIn(net.Path, RouteNetlink.Open);
        int index = netlink.FindByName(TestNetwork.Veth)!.Index;
        netlink.SetLink(index, up: true);
        netlink.SetLink(netlink.FindByName("lo")!.Index, up: true);

        netlink.AddAddress(new NetAddress(index, IPAddress.Parse("10.200.0.2"), 24));
        netlink.AddAddress(new NetAddress(index, IPAddress.Parse("fd00:200::2"), 64));
        netlink.AddAddress(new NetAddress(index, IPAddress.Parse("10.200.0.2"), 24)); // NLM_F_REPLACE: again is fine
        netlink.AddAddress(new NetAddress(index, IPAddress.Parse("fd00:200::3"), 64) { NoDad = true });
        var addressInfo = (await net.IpJsonAsync("addr", "show", "dev", TestNetwork.Veth))[0].GetProperty("addr_info").EnumerateArray().ToList();
        var shownAddresses = addressInfo.Select(a => $"{a.GetProperty("local").GetString()}/{a.GetProperty("prefixlen").GetInt32()}").ToList();
        Assert.Contains("10.200.0.2/24", shownAddresses);
        Assert.Contains("fd00:200::2/64", shownAddresses);
        // IFA_F_NODAD: usable at once, never "tentative"
        var noDad = addressInfo.Single(a => a.GetProperty("local").GetString() == "fd00:200::3");
        Assert.True(noDad.TryGetProperty("nodad", out var flag) && flag.GetBoolean(), "fd00:200::3 has no nodad flag: " + noDad);
        Assert.False(noDad.TryGetProperty("tentative", out _), "fd00:200::3 is tentative: " + noDad);
        Assert.False(addressInfo.Single(a => a.GetProperty("local").GetString() == "fd00:200::2").TryGetProperty("nodad", out _));
        var listed = netlink.ListAddresses();
        Assert.Contains(new NetAddress(index, IPAddress.Parse("10.200.0.2"), 24), listed);
        Assert.Contains(new NetAddress(index, IPAddress.Parse("fd00:200::2"), 64), listed);
        Assert.Contains(listed, a => a.Address.Equals(IPAddress.Loopback) && a.PrefixLength == 8);   // lo's, added by the kernel when it came up
        Assert.Contains(listed, a => a.Address.Equals(IPAddress.IPv6Loopback) && a.PrefixLength == 128);

        netlink.AddRoute(new NetRoute(index, IPAddress.Parse("10.201.0.0"), 24, null, IPAddress.Parse("10.200.0.2"), Scope: 253));
        netlink.AddRoute(new NetRoute(index, IPAddress.Parse("10.202.0.0"), 16, IPAddress.Parse("10.200.0.1"), null, 0));
        netlink.AddRoute(new NetRoute(index, null, 0, IPAddress.Parse("10.200.0.1"), null, 0));
        netlink.AddRoute(new NetRoute(index, IPAddress.Parse("fd00:201::"), 64, IPAddress.Parse("fd00:200::1"), null, 0));
        netlink.AddRoute(new NetRoute(index, null, 0, IPAddress.Parse("fd00:200::1"), null, 0));

        var v4 = await net.IpJsonAsync("route", "show");
        AssertRoute(v4, "10.201.0.0/24", gateway: null, scope: "link", prefsrc: "10.200.0.2");
        AssertRoute(v4, "10.202.0.0/16", gateway: "10.200.0.1", scope: null, prefsrc: null);
        AssertRoute(v4, "default", gateway: "10.200.0.1", scope: null, prefsrc: null);
        var v6 = await net.IpJsonAsync("-6", "route", "show");
        AssertRoute(v6, "fd00:201::/64", gateway: "fd00:200::1", scope: null, prefsrc: null);
        AssertRoute(v6, "default", gateway: "fd00:200::1", scope: null, prefsrc: null);

        var routes = netlink.ListRoutes();
        Assert.Contains(new NetRoute(index, null, 0, IPAddress.Parse("10.200.0.1"), null, 0), routes);
        Assert.Contains(new NetRoute(index, IPAddress.Parse("10.201.0.0"), 24, null, IPAddress.Parse("10.200.0.2"), 253), routes);
        Assert.Contains(new NetRoute(index, null, 0, IPAddress.Parse("fd00:200::1"), null, 0) { Family = AddressFamily.InterNetworkV6 }, routes);
        Assert.Contains(routes, r => Equals(r.Destination, IPAddress.Parse("10.200.0.0")) && r.PrefixLength == 24); // the kernel's own
        Assert.DoesNotContain(routes, r => Equals(r.Destination, IPAddress.Parse("10.200.0.2"))); // local table, not main

        // ip route del, matched by destination, gateway and device; a second time there is none
        var through = new NetRoute(index, IPAddress.Parse("10.202.0.0"), 16, IPAddress.Parse("10.200.0.1"), null, 0);
        Assert.False(netlink.DeleteRoute(through with { Gateway = IPAddress.Parse("10.200.0.7") })); // another gateway: not this route
        Assert.True(netlink.DeleteRoute(through));
        Assert.False(netlink.DeleteRoute(through));
        var v6Default = new NetRoute(index, null, 0, IPAddress.Parse("fd00:200::1"), null, 0) { Family = AddressFamily.InterNetworkV6 };
        Assert.True(netlink.DeleteRoute(v6Default));
        var left = netlink.ListRoutes();
        Assert.DoesNotContain(through, left);
        Assert.DoesNotContain(v6Default, left);
        Assert.Contains(new NetRoute(index, null, 0, IPAddress.Parse("10.200.0.1"), null, 0), left); // the IPv4 default stays
        Assert.DoesNotContain("10.202.0.0/16", (await net.IpJsonAsync("route", "show")).Select(r => r.GetProperty("dst").GetString()));

        byte[] mac4 = [0x02, 0, 0, 0, 0, 0x09], mac6 = [0x02, 0, 0, 0, 0, 0x0A];
        netlink.AddNeighbour(new NetNeighbour(index, IPAddress.Parse("10.200.0.9"), mac4, NetNeighbour.NudPermanent));
        netlink.AddNeighbour(new NetNeighbour(index, IPAddress.Parse("fd00:200::9"), mac6, NetNeighbour.NudPermanent));
        var neighbours = await net.IpJsonAsync("neigh", "show", "dev", TestNetwork.Veth);
        AssertNeighbour(neighbours, "10.200.0.9", "02:00:00:00:00:09");
        AssertNeighbour(neighbours, "fd00:200::9", "02:00:00:00:00:0a");
        var listedNeighbours = netlink.ListNeighbours();
        Assert.Contains(listedNeighbours, n => n.Address.Equals(IPAddress.Parse("10.200.0.9")) && n.Mac.SequenceEqual(mac4) && n.State == NetNeighbour.NudPermanent);
        Assert.Contains(listedNeighbours, n => n.Address.Equals(IPAddress.Parse("fd00:200::9")) && n.Mac.SequenceEqual(mac6) && n.LinkIndex == index);

        var missing = Assert.Throws<SyscallException>(() => netlink.AddAddress(new NetAddress(99999, IPAddress.Parse("10.0.0.2"), 24)));
        Assert.Equal(Errno.ENODEV, missing.Errno);
        Assert.Equal(new[] { "RTM_NEWADDR", "10.0.0.2/24", "dev 99999" }, missing.Arguments.Take(3));
        var unreachable = Assert.Throws<SyscallException>(() => netlink.AddRoute(new NetRoute(index, IPAddress.Parse("10.203.0.0"), 16, IPAddress.Parse("192.0.2.1"), null, 0)));
        Assert.Equal("netlink", unreachable.Syscall);
        Assert.Contains("10.203.0.0/16 via 192.0.2.1", unreachable.Message);
    }

    [Fact]
    public async Task Tap_and_redirect_filters_both_ways_then_clean_up()
    {
        await using var net = await TestNetwork.CreateAsync();
        const string tapName = "srt-tap0";
        var (tap, netlink) = NetworkNamespace.RunIn(net.Path, () => (TapDevice.Open(tapName), RouteNetlink.Open()));
        using (netlink)
        {
            int vethIndex, tapIndex;
            using (tap)
            {
                var tapLink = netlink.FindByName(tapName);
                Assert.NotNull(tapLink);
                Assert.Equal("tun", tapLink.Kind);
                Assert.Equal(6, tapLink.Mac.Length);
                vethIndex = netlink.FindByName(TestNetwork.Veth)!.Index;
                tapIndex = tapLink.Index;
                Assert.False(netlink.HasIngressQdisc(vethIndex));

                netlink.AddIngressQdisc(vethIndex);
                netlink.AddIngressQdisc(tapIndex);
                netlink.AddRedirectFilter(vethIndex, tapIndex);
                netlink.AddRedirectFilter(tapIndex, vethIndex);

                Assert.True(netlink.HasIngressQdisc(vethIndex));
                Assert.True(netlink.HasIngressQdisc(tapIndex));
                var qdiscs = await net.TcJsonAsync("qdisc", "show");
                Assert.Contains(qdiscs, q => q.GetProperty("kind").GetString() == "ingress" && q.GetProperty("dev").GetString() == tapName);
                Assert.Equal(tapName, RedirectTarget(await net.TcJsonAsync("filter", "show", "dev", TestNetwork.Veth, "ingress")));
                Assert.Equal(TestNetwork.Veth, RedirectTarget(await net.TcJsonAsync("filter", "show", "dev", tapName, "ingress")));

                var twice = Assert.Throws<SyscallException>(() => netlink.AddIngressQdisc(vethIndex));
                Assert.Equal(Errno.EEXIST, twice.Errno);
                Assert.Equal(new[] { "RTM_NEWQDISC", "ingress", $"dev {vethIndex}" }, twice.Arguments.Take(3));

                Assert.True(netlink.DeleteIngressQdisc(vethIndex));
                Assert.False(netlink.DeleteIngressQdisc(vethIndex));
                Assert.False(netlink.HasIngressQdisc(vethIndex));
                Assert.True(netlink.HasIngressQdisc(tapIndex));
                Assert.Empty(await net.TcJsonAsync("filter", "show", "dev", TestNetwork.Veth, "ingress"));
                Assert.DoesNotContain(await net.TcJsonAsync("qdisc", "show", "dev", TestNetwork.Veth), q => q.GetProperty("kind").GetString() == "ingress");
            }

            // Closing the only queue descriptor removes the tap, its qdisc and filter with it.
            Assert.Null(netlink.FindByName(tapName));
            Assert.NotEqual(0, (await Command.RunAsync("ip", ["-n", net.Name, "link", "show", tapName])).ExitCode);
            Assert.False(netlink.DeleteIngressQdisc(tapIndex));
            Assert.False(netlink.HasIngressQdisc(tapIndex));
        }
    }

    [Fact]
    public void A_tap_name_over_15_bytes_is_refused()
    {
        Assert.Throws<ArgumentException>(() => TapDevice.Open("srt-tap-name-too-long"));
    }

    [Fact]
    public async Task RunIn_uses_a_thread_of_its_own_and_passes_results_and_exceptions_back()
    {
        await using var net = await TestNetwork.CreateAsync();
        var outside = Namespaces.Identity("/proc/thread-self/ns/net");
        var inside = NetworkNamespace.RunIn(net.Path, () => Namespaces.Identity("/proc/thread-self/ns/net"));

        var expected = (await Command.RunAsync("ip", ["netns", "exec", net.Name, "readlink", "/proc/self/ns/net"])).Ok().Stdout.Trim();
        Assert.Equal(expected, inside);
        Assert.NotEqual(outside, inside);
        Assert.Equal(outside, Namespaces.Identity("/proc/thread-self/ns/net"));
        var e = Assert.Throws<InvalidOperationException>(() => NetworkNamespace.RunIn<int>(net.Path, () => throw new InvalidOperationException("from inside")));
        Assert.Equal("from inside", e.Message);
        Assert.True(NetworkNamespace.IsNetworkNamespace(net.Path));
    }

    [Fact]
    public void RunIn_explains_a_missing_path_and_a_path_that_is_not_a_network_namespace()
    {
        var missing = Assert.Throws<SyscallException>(() => NetworkNamespace.RunIn("/nonexistent/netns", () => 1));
        Assert.Equal("open", missing.Syscall);
        Assert.Equal(Errno.ENOENT, missing.Errno);
        Assert.Contains("/nonexistent/netns", missing.Message);

        var mount = Assert.Throws<ArgumentException>(() => NetworkNamespace.RunIn("/proc/self/ns/mnt", () => 1));
        Assert.Contains("/proc/self/ns/mnt is not a network namespace", mount.Message);
        var file = Assert.Throws<ArgumentException>(() => NetworkNamespace.RunIn("/etc/hostname", () => 1));
        Assert.Contains("/etc/hostname is not a network namespace", file.Message);

        Assert.True(NetworkNamespace.IsNetworkNamespace("/proc/self/ns/net"));
        Assert.False(NetworkNamespace.IsNetworkNamespace("/proc/self/ns/mnt"));
        Assert.False(NetworkNamespace.IsNetworkNamespace("/etc/hostname"));
        Assert.False(NetworkNamespace.IsNetworkNamespace("/nonexistent/netns"));
    }

    private static string Mac(byte[] mac) => string.Join(':', mac.Select(b => b.ToString("x2")));

    private static IEnumerable<string?> Flags(JsonElement link) => link.GetProperty("flags").EnumerateArray().Select(f => f.GetString());

    private static void AssertRoute(JsonElement[] routes, string dst, string? gateway, string? scope, string? prefsrc)
    {
        var route = Assert.Single(routes, r => r.GetProperty("dst").GetString() == dst);
        Assert.Equal(gateway, route.TryGetProperty("gateway", out var g) ? g.GetString() : null);
        Assert.Equal(scope, route.TryGetProperty("scope", out var s) ? s.GetString() : null);
        Assert.Equal(prefsrc, route.TryGetProperty("prefsrc", out var p) ? p.GetString() : null);
        Assert.Equal(TestNetwork.Veth, route.GetProperty("dev").GetString());
        // ip(8) leaves out "proto boot", its own default; any other protocol is printed.
        Assert.False(route.TryGetProperty("protocol", out var protocol), $"protocol {protocol}");
    }

    private static void AssertNeighbour(JsonElement[] neighbours, string dst, string mac)
    {
        var entry = Assert.Single(neighbours, n => n.GetProperty("dst").GetString() == dst);
        Assert.Equal(mac, entry.GetProperty("lladdr").GetString());
        Assert.Contains("PERMANENT", entry.GetProperty("state").EnumerateArray().Select(s => s.GetString()));
    }

    /// <summary>The to_dev of the single mirred redirect in `tc -j filter show` output.</summary>
    private static string? RedirectTarget(JsonElement[] filters)
    {
        var action = filters.Where(f => f.TryGetProperty("options", out var o) && o.TryGetProperty("actions", out _))
            .SelectMany(f => f.GetProperty("options").GetProperty("actions").EnumerateArray()).Single();
        Assert.Equal("mirred", action.GetProperty("kind").GetString());
        Assert.Equal("redirect", action.GetProperty("mirred_action").GetString());
        Assert.Equal("egress", action.GetProperty("direction").GetString());
        Assert.Equal("stolen", action.GetProperty("control_action").GetProperty("type").GetString());
        return action.GetProperty("to_dev").GetString();
    }

    /// <summary>
    /// Two namespaces of the test's own: the first holds <see cref="Veth"/>, whose peer is moved to the
    /// second so that only the test's namespaces ever see traffic. Both are deleted on dispose.
    /// </summary>
    private sealed class TestNetwork : IAsyncDisposable
    {
        public const string Veth = "srt-v0", Peer = "srt-v1";

        private TestNetwork(string name, string peerName)
        {
            Name = name;
            PeerName = peerName;
        }

        public string Name { get; }
        public string PeerName { get; }
        public string Path => "/run/netns/" + Name;

        public static async Task<TestNetwork> CreateAsync()
        {
            TestEnvironment.RequireRoot();
            TestEnvironment.RequireCommand("ip", "iproute2");
            TestEnvironment.RequireCommand("tc", "iproute2");
            var suffix = Convert.ToHexString(Guid.NewGuid().ToByteArray()[..4]).ToLowerInvariant();
            var net = new TestNetwork("srt-nl-" + suffix, "srt-nl-" + suffix + "-p");
            try
            {
                (await Command.RunAsync("ip", ["netns", "add", net.Name])).Ok();
                (await Command.RunAsync("ip", ["netns", "add", net.PeerName])).Ok();
                (await Command.RunAsync("ip", ["-n", net.Name, "link", "add", Veth, "type", "veth", "peer", "name", Peer])).Ok();
                (await Command.RunAsync("ip", ["-n", net.Name, "link", "set", Peer, "netns", net.PeerName])).Ok();
                return net;
            }
            catch
            {
                await net.DisposeAsync();
                throw;
            }
        }

        /// <summary>Brings the peer up so the veth has carrier.</summary>
        public async Task UpPeerAsync() => (await Command.RunAsync("ip", ["-n", PeerName, "link", "set", Peer, "up"])).Ok();

        public Task<JsonElement[]> IpJsonAsync(params string[] args) => JsonAsync("ip", ["-j", "-n", Name, .. args]);

        public Task<JsonElement[]> TcJsonAsync(params string[] args) => JsonAsync("tc", ["-j", "-n", Name, .. args]);

        public async ValueTask DisposeAsync()
        {
            await Command.RunAsync("ip", ["netns", "del", Name]);
            await Command.RunAsync("ip", ["netns", "del", PeerName]);
        }

        private static async Task<JsonElement[]> JsonAsync(string tool, string[] args)
        {
            var output = (await Command.RunAsync(tool, args)).Ok().Stdout;
            if (string.IsNullOrWhiteSpace(output))
                return [];
            using var document = JsonDocument.Parse(output);
            return document.RootElement.EnumerateArray().Select(e => e.Clone()).ToArray();
        }
    }
}
