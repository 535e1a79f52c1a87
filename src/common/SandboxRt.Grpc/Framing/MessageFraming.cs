using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Google.Protobuf;

namespace SandboxRt.Grpc.Framing;

/// <summary>
/// gRPC's length-prefixed message framing (PROTOCOL-HTTP2.md, "Length-Prefixed-Message"):
/// a one-byte compressed flag, a four-byte big-endian length, then the protobuf bytes.
/// The length is checked against the limit before any payload is buffered, so an oversized
/// message costs five bytes of memory, not its declared size.
/// </summary>
public static class MessageFraming
{
    public const int HeaderSize = 5;

    /// <summary>Serializes <paramref name="message"/> with its frame header.</summary>
    public static byte[] Encode(IMessage message, int maxSize)
    {
        int size = message.CalculateSize();
        if (size > maxSize)
            throw new RpcException(StatusCode.ResourceExhausted, $"Sent message larger than max ({size} vs. {maxSize})");
        var frame = new byte[HeaderSize + size];
        frame[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)size);
        message.WriteTo(frame.AsSpan(HeaderSize));
        return frame;
    }

    /// <summary>
    /// Reads the next message. Returns null when the stream ended cleanly between messages;
    /// throws <see cref="RpcException"/> for a truncated, compressed, oversized or unparsable message.
    /// </summary>
    public static async ValueTask<T?> ReadAsync<T>(PipeReader reader, MessageParser<T> parser, int maxSize, CancellationToken cancellationToken = default)
        where T : class, IMessage<T>
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (TryParseFrame(ref buffer, parser, maxSize, out var message))
            {
                reader.AdvanceTo(buffer.Start);
                return message;
            }
            if (result.IsCompleted)
            {
                long leftover = buffer.Length;
                reader.AdvanceTo(buffer.End);
                if (leftover == 0)
                    return null;
                throw new RpcException(StatusCode.Internal, $"Stream ended inside a message ({leftover} bytes of a frame received)");
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static bool TryParseFrame<T>(ref ReadOnlySequence<byte> buffer, MessageParser<T> parser, int maxSize, out T? message)
        where T : class, IMessage<T>
    {
        message = null;
        if (buffer.Length < HeaderSize)
            return false;
        Span<byte> header = stackalloc byte[HeaderSize];
        buffer.Slice(0, HeaderSize).CopyTo(header);
        if (header[0] != 0)
            throw new RpcException(StatusCode.Internal, "Received a compressed message, but no grpc-encoding was negotiated (only identity is supported)");
        uint length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (length > (uint)maxSize)
            throw new RpcException(StatusCode.ResourceExhausted, $"Received message larger than max ({length} vs. {maxSize})");
        if (buffer.Length < HeaderSize + length)
            return false;
        var payload = buffer.Slice(HeaderSize, length);
        try
        {
            message = parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new RpcException(StatusCode.Internal, "Failed to parse message: " + e.Message, e);
        }
        buffer = buffer.Slice(payload.End);
        return true;
    }
}
