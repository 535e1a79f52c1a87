using SandboxRt.Interop.Netlink;

namespace SandboxRt.UnitTests.Netlink;

[Trait("Tier", "unit")]
public sealed class LinkMessagesTests
{
    /// <summary>An RTM_NEWLINK as a dump returns it for a veth that is up, written out byte by byte.</summary>
    private static readonly byte[] VethDumpMessage =
    [
        // nlmsghdr: len 88, RTM_NEWLINK (16), NLM_F_MULTI, seq 42, pid 1234
        88, 0, 0, 0, 16, 0, 2, 0, 42, 0, 0, 0, 0xD2, 0x04, 0, 0,
        // ifinfomsg: AF_UNSPEC, ARPHRD_ETHER (1), index 7, flags UP|BROADCAST|RUNNING|MULTICAST (0x11043), change 0
        0, 0, 1, 0, 7, 0, 0, 0, 0x43, 0x10, 0x01, 0, 0, 0, 0, 0,
        // IFLA_IFNAME "eth0"
        9, 0, 3, 0, (byte)'e', (byte)'t', (byte)'h', (byte)'0', 0, 0, 0, 0,
        // IFLA_MTU 1450
        8, 0, 4, 0, 0xAA, 0x05, 0, 0,
        // IFLA_ADDRESS 02:42:ac:11:00:02
        10, 0, 1, 0, 0x02, 0x42, 0xAC, 0x11, 0x00, 0x02, 0, 0,
        // IFLA_LINKINFO (nested flag set, as the kernel sends it) { IFLA_INFO_KIND "veth" }
        16, 0, 18, 0x80, 9, 0, 1, 0, (byte)'v', (byte)'e', (byte)'t', (byte)'h', 0, 0, 0, 0,
        // an attribute this parser does not know (IFLA_TXQLEN 1000) is skipped
        8, 0, 13, 0, 0xE8, 0x03, 0, 0,
    ];

    [Fact]
    public void Parses_a_link_from_a_dump_message()
    {
        var message = Assert.Single(NetlinkMessage.Split(VethDumpMessage));
        var link = LinkMessages.Parse(message);

        Assert.NotNull(link);
        Assert.Equal(7, link.Index);
        Assert.Equal("eth0", link.Name);
        Assert.Equal(new byte[] { 0x02, 0x42, 0xAC, 0x11, 0x00, 0x02 }, link.Mac);
        Assert.Equal(1450, link.Mtu);
        Assert.True(link.Up);
        Assert.False(link.Loopback);
        Assert.Equal("veth", link.Kind);
    }

    [Fact]
    public void A_link_without_an_ethernet_address_or_link_info_has_an_empty_mac_and_kind()
    {
        var bytes = new NetlinkMessageBuilder(16, 2)
            .Append([0, 0, 0xFE, 0xFF, 1, 0, 0, 0, 0x08, 0, 0, 0, 0, 0, 0, 0]) // index 1, IFF_LOOPBACK, down
            .Attribute(3, "tun0")
            .Attribute(1, new byte[4])                                      // a 4-byte hardware address: not a MAC
            .ToArray(1);
        var link = LinkMessages.Parse(NetlinkMessage.Split(bytes)[0])!;

        Assert.Empty(link.Mac);
        Assert.Equal("", link.Kind);
        Assert.True(link.Loopback);
        Assert.False(link.Up);
    }

    [Fact]
    public void A_message_too_short_for_ifinfomsg_is_refused()
    {
        var bytes = new NetlinkMessageBuilder(16, 2).Append(new byte[8]).ToArray(1);
        Assert.Throws<InvalidDataException>(() => LinkMessages.Parse(NetlinkMessage.Split(bytes)[0]));
    }

    [Fact]
    public void Other_message_types_are_not_links()
    {
        var bytes = new NetlinkMessageBuilder(20, 2).Append(new byte[8]).ToArray(1);
        Assert.Null(LinkMessages.Parse(NetlinkMessage.Split(bytes)[0]));
    }

    [Fact]
    public void Set_changes_only_what_is_given()
    {
        var up = LinkMessages.Set(5, up: true).ToArray(9);
        Assert.Equal(new byte[] { 32, 0, 0, 0, 16, 0, 5, 0, 9, 0, 0, 0, 0, 0, 0, 0 }, up[..16]);    // RTM_NEWLINK, REQUEST|ACK
        Assert.Equal(new byte[] { 0, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0 }, up[16..]);     // flags IFF_UP, change IFF_UP

        var renamed = LinkMessages.Set(5, name: "eth1", mtu: 9000).ToArray(9);
        Assert.Equal(new byte[]
        {
            0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,                         // IFF_UP untouched
            9, 0, 3, 0, (byte)'e', (byte)'t', (byte)'h', (byte)'1', 0, 0, 0, 0,      // IFLA_IFNAME
            8, 0, 4, 0, 0x28, 0x23, 0, 0,                                           // IFLA_MTU 9000
        }, renamed[16..]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a-name-of-16-chr")]
    [InlineData("eth/0")]
    [InlineData("eth 0")]
    [InlineData("..")]
    public void Invalid_interface_names_are_refused(string name)
    {
        Assert.Throws<ArgumentException>(() => LinkMessages.Set(1, name: name));
    }
}
