using System.Buffers.Binary;

namespace SandboxRt.Ttrpc.Framing;

/// <summary>
/// The fixed 10-byte header in front of every ttrpc message, all fields big-endian:
/// bytes 0-3 payload length (header excluded), 4-7 stream id, 8 message type, 9 flags (reserved, 0).
/// </summary>
internal readonly record struct MessageHeader(uint Length, uint StreamId, MessageType Type, byte Flags = 0)
{
    public const int Size = 10;

    /// <summary>The largest payload either side accepts (ttrpc channel.go, messageLengthMax: 4 &lt;&lt; 20).</summary>
    public const int MaxMessageLength = 4 << 20;

    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Size)
            throw new ArgumentException($"A ttrpc header needs {Size} bytes, the buffer has {destination.Length}", nameof(destination));
        BinaryPrimitives.WriteUInt32BigEndian(destination, Length);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], StreamId);
        destination[8] = (byte)Type;
        destination[9] = Flags;
    }

    public static MessageHeader Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size)
            throw new ArgumentException($"A ttrpc header is {Size} bytes, got {source.Length}", nameof(source));
        return new MessageHeader(
            BinaryPrimitives.ReadUInt32BigEndian(source),
            BinaryPrimitives.ReadUInt32BigEndian(source[4..]),
            (MessageType)source[8],
            source[9]);
    }
}
