using SandboxRt.Interop;
using SandboxRt.Interop.Netlink;

namespace SandboxRt.UnitTests.Netlink;

[Trait("Tier", "unit")]
public sealed class NetlinkErrorTests
{
    [Fact]
    public void An_error_with_an_extended_ack_names_the_operation_the_object_and_the_kernels_reason()
    {
        // NLMSG_ERROR, flags NLM_F_CAPPED|NLM_F_ACK_TLVS: error -EINVAL, the echoed header only, NLMSGERR_ATTR_MSG.
        var message = Error(-22, flags: 0x300, tlvs: new NetlinkMessageBuilder(0, 0).Attribute(1, "Invalid prefix").ToArray(0)[16..]);

        var e = Assert.Throws<SyscallException>(() => NetlinkError.ThrowIfFailed(message, "RTM_NEWADDR", "10.0.0.2/24", "dev 5"));
        Assert.Equal("netlink", e.Syscall);
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.Equal(new[] { "RTM_NEWADDR", "10.0.0.2/24", "dev 5", "Invalid prefix" }, e.Arguments);
        Assert.StartsWith("netlink(\"RTM_NEWADDR\", \"10.0.0.2/24\", \"dev 5\", \"Invalid prefix\"): EINVAL", e.Message);
    }

    [Fact]
    public void An_error_without_extended_ack_and_an_acknowledgement()
    {
        var e = Assert.Throws<SyscallException>(() => NetlinkError.ThrowIfFailed(Error(-17, flags: 0, tlvs: []), "RTM_NEWQDISC", "ingress", "dev 2"));
        Assert.Equal(Errno.EEXIST, e.Errno);
        Assert.Equal(3, e.Arguments.Count);

        NetlinkError.ThrowIfFailed(Error(0, flags: 0x100, tlvs: []), "RTM_NEWQDISC");   // error 0: acknowledged
    }

    [Fact]
    public void A_lying_extended_ack_loses_its_reason_but_not_the_errno()
    {
        var message = Error(-22, flags: 0x300, tlvs: [40, 0, 1, 0, (byte)'x', 0, 0, 0]);
        Assert.Equal((Errno.EINVAL, (string?)null), NetlinkError.Read(message));
        Assert.Throws<InvalidDataException>(() => NetlinkError.Read(new NetlinkMessage(2, 0, 1, 0, new byte[3])));
    }

    private static NetlinkMessage Error(int error, ushort flags, byte[] tlvs)
    {
        var payload = new byte[4 + 16 + tlvs.Length];
        BitConverter.TryWriteBytes(payload.AsSpan(0, 4), error);
        BitConverter.TryWriteBytes(payload.AsSpan(4, 4), 40u);   // the echoed request's nlmsg_len
        tlvs.CopyTo(payload, 20);
        return new NetlinkMessage(2, flags, 1, 0, payload);
    }
}
