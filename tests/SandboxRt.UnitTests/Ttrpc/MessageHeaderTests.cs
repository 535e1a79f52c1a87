using SandboxRt.Ttrpc.Framing;

namespace SandboxRt.UnitTests.Ttrpc;

[Trait("Tier", "unit")]
public sealed class MessageHeaderTests
{
    [Fact]
    public void Writes_big_endian_length_stream_id_type_and_flags()
    {
        var bytes = new byte[MessageHeader.Size];
        new MessageHeader(0x01020304, 0x0A0B0C0D, MessageType.Response, 0x7F).WriteTo(bytes);

        Assert.Equal(new byte[] { 0x01, 0x02, 0x03, 0x04, 0x0A, 0x0B, 0x0C, 0x0D, 0x02, 0x7F }, bytes);
    }

    [Theory]
    [InlineData(0u, 1u, 1)]
    [InlineData(4u << 20, 0xFFFFFFFFu, 2)]
    [InlineData(0xFFFFFFFFu, 3u, 1)]
    public void Round_trips(uint length, uint streamId, byte type)
    {
        var header = new MessageHeader(length, streamId, (MessageType)type);
        var bytes = new byte[MessageHeader.Size];
        header.WriteTo(bytes);

        Assert.Equal(header, MessageHeader.Read(bytes));
    }

    [Fact]
    public void Refuses_a_short_buffer()
    {
        Assert.Throws<ArgumentException>(() => MessageHeader.Read(new byte[9]));
        Assert.Throws<ArgumentException>(() => new MessageHeader(1, 1, MessageType.Request).WriteTo(new byte[9]));
    }
}
