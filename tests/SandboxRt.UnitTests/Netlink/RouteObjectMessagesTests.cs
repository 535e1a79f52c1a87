using System.Net;
using System.Net.Sockets;
using SandboxRt.Interop.Netlink;

namespace SandboxRt.UnitTests.Netlink;

/// <summary>Addresses, routes and neighbours: requests byte for byte as ip(8) sends them (strace), and parsing.</summary>
[Trait("Tier", "unit")]
public sealed class RouteObjectMessagesTests
{
    [Fact]
    public void Add_address_matches_ip_addr_add()
    {
        // ip addr add 10.0.0.2/24 dev <3>, but with NLM_F_REPLACE instead of NLM_F_EXCL.
        var bytes = AddressMessages.Add(new NetAddress(3, IPAddress.Parse("10.0.0.2"), 24)).ToArray(1);
        Assert.Equal(new byte[] { 40, 0, 0, 0, 20, 0, 0x05, 0x05 }, bytes[..8]);
        Assert.Equal(Hex("02180000 03000000 08000200 0a000002 08000100 0a000002"), bytes[16..]);
    }

    [Fact]
    public void Add_route_matches_ip_route_add()
    {
        // ip route add 10.1.0.0/16 via 10.0.0.1 src 10.0.0.2 proto boot (plus dev 3 as RTA_OIF).
        var route = new NetRoute(3, IPAddress.Parse("10.1.0.0"), 16, IPAddress.Parse("10.0.0.1"), IPAddress.Parse("10.0.0.2"), 0);
        var bytes = RouteMessages.Add(route).ToArray(1);
        Assert.Equal(new byte[] { 24, 0, 0x05, 0x05 }, bytes[4..8]);
        Assert.Equal(Hex("02100000 fe030001 00000000 08000100 0a010000 08000500 0a000001 08000700 0a000002 08000400 03000000"), bytes[16..]);
    }

    [Fact]
    public void A_default_route_has_no_destination_and_an_ipv6_one_takes_its_family_from_the_gateway()
    {
        var bytes = RouteMessages.Add(new NetRoute(4, null, 0, IPAddress.Parse("fd00::1"), null, 0)).ToArray(1);
        Assert.Equal(10, bytes[16]);   // AF_INET6
        Assert.Equal(0, bytes[17]);    // dst_len
        var attributes = NetlinkAttribute.Parse(bytes.AsMemory(16 + 12));
        Assert.Equal(new ushort[] { 5, 4 }, attributes.Select(a => a.Type));   // RTA_GATEWAY, RTA_OIF

        var deviceOnly = RouteMessages.Add(new NetRoute(4, null, 0, null, null, 253) { Family = AddressFamily.InterNetworkV6 }).ToArray(1);
        Assert.Equal(10, deviceOnly[16]);
        Assert.Equal(253, deviceOnly[22]);
    }

    [Fact]
    public void Routes_mixing_families_or_with_bad_prefixes_are_refused()
    {
        Assert.Throws<ArgumentException>(() => RouteMessages.Add(new NetRoute(1, IPAddress.Parse("10.0.0.0"), 8, IPAddress.Parse("fd00::1"), null, 0)));
        Assert.Throws<ArgumentException>(() => RouteMessages.Add(new NetRoute(1, null, 8, IPAddress.Parse("10.0.0.1"), null, 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => RouteMessages.Add(new NetRoute(1, IPAddress.Parse("10.0.0.0"), 33, null, null, 253)));
        Assert.Throws<ArgumentOutOfRangeException>(() => AddressMessages.Add(new NetAddress(1, IPAddress.Parse("fd00::2"), 129)));
    }

    [Fact]
    public void Add_neighbour_matches_ip_neigh_add()
    {
        // ip neigh add 10.0.0.9 lladdr 02:00:00:00:00:09 dev <3> nud permanent
        var neighbour = new NetNeighbour(3, IPAddress.Parse("10.0.0.9"), [2, 0, 0, 0, 0, 9], NetNeighbour.NudPermanent);
        var bytes = NeighbourMessages.Add(neighbour).ToArray(1);
        Assert.Equal(28, bytes[4]);
        Assert.Equal(Hex("02000000 03000000 80000000 08000100 0a000009 0a000200 02000000 00090000"), bytes[16..]);
    }

    [Fact]
    public void Parses_main_table_unicast_routes_and_skips_the_rest()
    {
        var main = RouteMessage(table: 254, type: 1, new NetlinkAttributeBytes(1, [10, 1, 0, 0]), new NetlinkAttributeBytes(5, [10, 0, 0, 1]), new NetlinkAttributeBytes(4, [3, 0, 0, 0]));
        var route = RouteMessages.Parse(main)!;
        Assert.Equal(IPAddress.Parse("10.1.0.0"), route.Destination);
        Assert.Equal(16, route.PrefixLength);
        Assert.Equal(IPAddress.Parse("10.0.0.1"), route.Gateway);
        Assert.Equal(3, route.LinkIndex);
        Assert.Equal(AddressFamily.InterNetwork, route.Family);

        Assert.Null(RouteMessages.Parse(RouteMessage(table: 255, type: 2)));                                        // local table
        Assert.Null(RouteMessages.Parse(RouteMessage(table: 252, type: 1, new NetlinkAttributeBytes(15, [0, 1, 0, 0])))); // RTA_TABLE 256
        Assert.Throws<InvalidDataException>(() => RouteMessages.Parse(RouteMessage(254, 1, new NetlinkAttributeBytes(1, [10, 1, 0]))));
    }

    [Fact]
    public void Parses_an_ipv6_address_and_a_neighbour_without_lladdr()
    {
        var address = new NetlinkMessageBuilder(20, 2).Append([10, 64, 0x80, 0, 2, 0, 0, 0])
            .Attribute(1, IPAddress.Parse("fe80::1").GetAddressBytes()).ToArray(1);
        Assert.Equal(new NetAddress(2, IPAddress.Parse("fe80::1"), 64), AddressMessages.Parse(NetlinkMessage.Split(address)[0]));

        var neighbour = new NetlinkMessageBuilder(28, 2).Append([2, 0, 0, 0, 2, 0, 0, 0, 0x20, 0, 0, 1])   // NUD_FAILED
            .Attribute(1, new byte[] { 10, 0, 0, 7 }).ToArray(1);
        var parsed = NeighbourMessages.Parse(NetlinkMessage.Split(neighbour)[0])!;
        Assert.Empty(parsed.Mac);
        Assert.Equal((ushort)0x20, parsed.State);
    }

    private sealed record NetlinkAttributeBytes(ushort Type, byte[] Value);

    private static NetlinkMessage RouteMessage(byte table, byte type, params NetlinkAttributeBytes[] attributes)
    {
        var builder = new NetlinkMessageBuilder(24, 2).Append([2, 16, 0, 0, table, 3, 0, type, 0, 0, 0, 0]);
        foreach (var attribute in attributes)
            builder.Attribute(attribute.Type, attribute.Value);
        return NetlinkMessage.Split(builder.ToArray(1))[0];
    }

    internal static byte[] Hex(string text) => Convert.FromHexString(text.Replace(" ", ""));
}
