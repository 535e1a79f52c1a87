using SandboxRt.Interop.Netlink;

namespace SandboxRt.UnitTests.Netlink;

/// <summary>nlmsghdr and attribute framing: alignment, nesting, and refusing lengths that lie.</summary>
[Trait("Tier", "unit")]
public sealed class NetlinkFramingTests
{
    [Fact]
    public void Attributes_are_padded_to_four_bytes_but_their_length_excludes_the_padding()
    {
        var bytes = new NetlinkMessageBuilder(0x14, 0x5)
            .Append([0xAA, 0xBB])                      // a 2-byte "family header", padded to 4
            .Attribute(3, "abcd")                      // 4 + 5 bytes, padded to 12
            .Attribute(4, 0x01020304u)
            .ToArray(sequence: 7);

        Assert.Equal(new byte[]
        {
            40, 0, 0, 0, 0x14, 0, 0x5, 0, 7, 0, 0, 0, 0, 0, 0, 0,   // nlmsghdr: len 40, type, flags, seq, pid 0
            0xAA, 0xBB, 0, 0,
            9, 0, 3, 0, (byte)'a', (byte)'b', (byte)'c', (byte)'d', 0, 0, 0, 0,
            8, 0, 4, 0, 4, 3, 2, 1,
        }, bytes);
    }

    [Fact]
    public void A_nested_attribute_covers_its_children_with_their_padding()
    {
        var builder = new NetlinkMessageBuilder(1, 1);
        int outer = builder.BeginNested(2);
        builder.Attribute(1, new byte[] { 9 });
        int inner = builder.BeginNested(0x8003);
        builder.Attribute(5, 1u);
        builder.EndNested(inner).EndNested(outer);
        var payload = builder.ToArray(1)[16..];

        Assert.Equal(new byte[] { 24, 0, 2, 0, 5, 0, 1, 0, 9, 0, 0, 0, 12, 0, 3, 0x80, 8, 0, 5, 0, 1, 0, 0, 0 }, payload);

        var parsed = NetlinkAttribute.Parse(payload);
        var nested = Assert.Single(parsed).Children();
        Assert.Equal(2, nested.Count);
        Assert.Equal((ushort)3, nested[1].Type); // NLA_F_NESTED is not part of the type
        Assert.Equal(1u, nested[1].Children()[0].ToUInt32());
    }

    [Fact]
    public void Splits_a_datagram_into_messages()
    {
        var first = new NetlinkMessageBuilder(16, 2).Attribute(3, "lo").ToArray(5);    // "lo\0": nla_len 7, padded to 8
        var second = new NetlinkMessageBuilder(3, 2).Append(new byte[4]).ToArray(5);     // NLMSG_DONE, error 0
        var messages = NetlinkMessage.Split(first.Concat(second).ToArray());

        Assert.Equal(2, messages.Count);
        Assert.Equal((ushort)16, messages[0].Type);
        Assert.Equal(5u, messages[0].Sequence);
        Assert.Equal("lo", NetlinkAttribute.Parse(messages[0].Payload)[0].ToText());
        Assert.Equal((ushort)3, messages[1].Type);
        Assert.Equal(4, messages[1].Payload.Length);
    }

    [Theory]
    [InlineData(15)]   // shorter than its own header
    [InlineData(40)]   // longer than what arrived
    public void A_message_length_that_does_not_fit_is_refused(uint length)
    {
        var bytes = new NetlinkMessageBuilder(16, 2).Append(new byte[8]).ToArray(1);
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 4), length);
        var e = Assert.Throws<InvalidDataException>(() => NetlinkMessage.Split(bytes));
        Assert.Contains($"claims {length} bytes", e.Message);
    }

    [Fact]
    public void Trailing_bytes_too_short_for_a_header_are_refused()
    {
        var bytes = new NetlinkMessageBuilder(16, 2).ToArray(1).Concat(new byte[6]).ToArray();
        Assert.Throws<InvalidDataException>(() => NetlinkMessage.Split(bytes));
    }

    [Fact]
    public void A_truncated_attribute_is_refused()
    {
        // IFLA_IFNAME claims 12 bytes but only 8 follow.
        byte[] attributes = [12, 0, 3, 0, (byte)'e', (byte)'t', (byte)'h', 0];
        var e = Assert.Throws<InvalidDataException>(() => NetlinkAttribute.Parse(attributes));
        Assert.Contains("claims 12 bytes, 8 are left", e.Message);

        Assert.Throws<InvalidDataException>(() => NetlinkAttribute.Parse(new byte[] { 2, 0, 3, 0 }));   // nla_len below 4
        Assert.Throws<InvalidDataException>(() => NetlinkAttribute.Parse(new byte[] { 8, 0, 3, 0, 1, 2, 3, 4, 0, 0 })); // 2 stray bytes
    }

    [Fact]
    public void The_last_attribute_may_lack_its_padding()
    {
        var parsed = NetlinkAttribute.Parse(new byte[] { 5, 0, 1, 0, 42 });
        Assert.Equal((byte)42, Assert.Single(parsed).ToByte());
    }

    [Fact]
    public void Typed_readers_check_the_value_size()
    {
        var attribute = NetlinkAttribute.Parse(new byte[] { 7, 0, 1, 0, 1, 2, 3, 0 })[0];
        Assert.Throws<InvalidDataException>(() => attribute.ToUInt32());
        Assert.Throws<InvalidDataException>(() => attribute.ToAddress());
    }
}
