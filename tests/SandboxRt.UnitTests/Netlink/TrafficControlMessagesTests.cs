using SandboxRt.Interop.Netlink;

namespace SandboxRt.UnitTests.Netlink;

/// <summary>tc requests compared with what tc(8) sent for the same command (strace -xx, tc 6.1).</summary>
[Trait("Tier", "unit")]
public sealed class TrafficControlMessagesTests
{
    [Fact]
    public void The_redirect_filter_is_byte_for_byte_what_tc_sends()
    {
        // tc filter add dev <3> parent ffff: protocol all prio 49152 u32 match u8 0 0 action mirred egress redirect dev <4>
        var expected = RouteObjectMessagesTests.Hex(
            "00000000 03000000 00000000 0000ffff 000300c0" +   // tcmsg: ifindex 3, handle 0, parent ffff:, info prio<<16|htons(ETH_P_ALL)
            "08000100 75333200" +                               // TCA_KIND "u32"
            "60000200" +                                        // TCA_OPTIONS
            "38000700 34000100" +                               //   TCA_U32_ACT { [1]
            "0b000100 6d697272 65640000" +                      //     TCA_ACT_KIND "mirred"
            "24000280 20000200" +                               //     TCA_ACT_OPTIONS|NLA_F_NESTED { TCA_MIRRED_PARMS
            "00000000 00000000 04000000 00000000 00000000 01000000 04000000" + // index, capab, TC_ACT_STOLEN, refcnt, bindcnt, TCA_EGRESS_REDIR, ifindex 4
            "24000500 01000100 00000000 00000000 00000000" +   //   TCA_U32_SEL: TERMINAL, nkeys 1
            "00000000 00000000 00000000 00000000");            //     key: mask 0 val 0 off 0 offmask 0
        var bytes = TrafficControlMessages.AddRedirectFilter(3, 4).ToArray(1);

        Assert.Equal(new byte[] { 140, 0, 0, 0, 44, 0, 0x05, 0x06 }, bytes[..8]);   // RTM_NEWTFILTER, REQUEST|ACK|EXCL|CREATE
        Assert.Equal(expected, bytes[16..]);
    }

    [Fact]
    public void The_ingress_qdisc_requests_are_what_tc_sends()
    {
        var add = TrafficControlMessages.AddIngressQdisc(2).ToArray(1);
        Assert.Equal(new byte[] { 48, 0, 0, 0, 36, 0, 0x05, 0x06 }, add[..8]);
        Assert.Equal(RouteObjectMessagesTests.Hex("00000000 02000000 0000ffff f1ffffff 00000000 0c000100 696e6772 65737300"), add[16..]);

        var delete = TrafficControlMessages.DeleteIngressQdisc(3).ToArray(1);
        Assert.Equal(new byte[] { 48, 0, 0, 0, 37, 0, 0x05, 0x00 }, delete[..8]);
        Assert.Equal(RouteObjectMessagesTests.Hex("00000000 03000000 0000ffff f1ffffff 00000000 0c000100 696e6772 65737300"), delete[16..]);
    }

    [Fact]
    public void Recognises_the_ingress_qdisc_of_one_link()
    {
        var ingress = NetlinkMessage.Split(new NetlinkMessageBuilder(36, 2)
            .Append(RouteObjectMessagesTests.Hex("00000000 03000000 0000ffff f1ffffff 01000000"))
            .Attribute(1, "ingress").ToArray(1))[0];
        var clsact = NetlinkMessage.Split(new NetlinkMessageBuilder(36, 2)
            .Append(RouteObjectMessagesTests.Hex("00000000 03000000 0000ffff f1ffffff 01000000"))
            .Attribute(1, "clsact").ToArray(1))[0];

        Assert.True(TrafficControlMessages.IsIngressQdisc(ingress, 3));
        Assert.False(TrafficControlMessages.IsIngressQdisc(ingress, 4));
        Assert.False(TrafficControlMessages.IsIngressQdisc(clsact, 3));
    }
}
