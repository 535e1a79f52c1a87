using Google.Protobuf;
using SandboxRt.Grpc;

namespace SandboxRt.Ttrpc.Framing;

// ttrpc framing and the connection it runs on.
//
// Wire format (github.com/containerd/ttrpc v1.1, channel.go): every message is a 10-byte big-endian
// header (payload length, stream id, type, flags) followed by a protobuf payload, a ttrpc.Request from
// the client or a ttrpc.Response from the server. Client stream ids are odd; a response carries the id
// of its request, which is the only thing that pairs the two, so requests can be answered in any order.
//
// Why the code has this shape:
// - One reader, many writers. Each side runs exactly one receive loop, which is the only caller of
//   ReadAsync. Writes come from any thread (every server handler answers on its own task, every client
//   call sends its own request) and go through one lock; each frame is assembled in a single buffer and
//   written with one call, so two frames can never interleave on the socket.
// - The length is checked before anything is allocated. A frame declaring more than 4 MiB costs only
//   its header: the payload is skipped through the read buffer, which keeps the stream in step, so the
//   connection stays usable. The Go implementation does the same (bufio.Reader.Discard) and answers
//   that stream id with RESOURCE_EXHAUSTED; the caller sees an oversized Frame and decides.
// - A private read buffer rather than BufferedStream: BufferedStream shares one buffer between reading
//   and writing, which is wrong for a socket that one thread reads while others write.
// - Cancellation never stops a write half-way: a partial frame would desynchronise the peer for good.
//   Only the wait for the write lock can be cancelled. A write that fails closes the channel, for the
//   same reason, and the receive loop then sees the end of the connection.
// - End of stream between frames is an orderly close (ReadAsync returns null); inside a frame it is an
//   error that names how far the frame got.

/// <summary>A ttrpc connection: framed reads for one receive loop, locked framed writes for everyone.</summary>
internal sealed class FrameChannel : IAsyncDisposable
{
    private const int ReadBufferSize = 16 * 1024;

    private readonly Stream _stream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly byte[] _readBuffer = new byte[ReadBufferSize];
    private readonly byte[] _headerBuffer = new byte[MessageHeader.Size];
    private int _readStart, _readEnd;
    private int _closed;

    public FrameChannel(Stream stream) => _stream = stream;

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>
    /// Reads the next frame; null when the peer closed the connection between frames. Only one
    /// caller at a time (the receive loop).
    /// </summary>
    public async ValueTask<Frame?> ReadAsync(CancellationToken cancellationToken = default)
    {
        int got = await FillAsync(_headerBuffer, cancellationToken);
        if (got == 0)
            return null;
        if (got < MessageHeader.Size)
            throw new EndOfStreamException($"ttrpc: connection closed inside a frame header ({got} of {MessageHeader.Size} bytes)");
        var header = MessageHeader.Read(_headerBuffer);
        if (header.Length > MessageHeader.MaxMessageLength)
        {
            await SkipAsync(header, cancellationToken);
            return new Frame(header, null);
        }
        var payload = header.Length == 0 ? [] : new byte[header.Length];
        got = await FillAsync(payload, cancellationToken);
        if (got < payload.Length)
            throw new EndOfStreamException($"ttrpc: connection closed inside the payload of stream {header.StreamId} ({got} of {payload.Length} bytes)");
        return new Frame(header, payload);
    }

    /// <summary>
    /// Frames <paramref name="message"/> and sends it on <paramref name="streamId"/>. A message over the
    /// size limit is refused with RESOURCE_EXHAUSTED before anything is written.
    /// <paramref name="cancellationToken"/> only cancels the wait for the write lock.
    /// </summary>
    public Task WriteAsync(uint streamId, MessageType type, IMessage message, CancellationToken cancellationToken = default) =>
        WriteAsync(() => streamId, type, message, cancellationToken);

    /// <summary>
    /// As above, but the stream id comes from <paramref name="assignStreamId"/>, which runs under the
    /// write lock: ids then reach the wire in the order they were assigned, which ttrpc servers from v1.2
    /// on require ("StreamID cannot be re-used and must increment"). Returns the id used.
    /// </summary>
    public async Task<uint> WriteAsync(Func<uint> assignStreamId, MessageType type, IMessage message, CancellationToken cancellationToken = default)
    {
        int size = message.CalculateSize();
        if (size > MessageHeader.MaxMessageLength)
            throw new TtrpcException(StatusCode.ResourceExhausted, $"message length {size} exceed maximum message size of {MessageHeader.MaxMessageLength}");
        var frame = new byte[MessageHeader.Size + size];
        message.WriteTo(frame.AsSpan(MessageHeader.Size));

        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            if (IsClosed)
                throw new IOException("ttrpc: the connection is closed");
            uint streamId = assignStreamId();
            new MessageHeader((uint)size, streamId, type).WriteTo(frame);
            try
            {
                await _stream.WriteAsync(frame, CancellationToken.None);
                await _stream.FlushAsync(CancellationToken.None);
            }
            catch
            {
                await DisposeAsync();
                throw;
            }
            return streamId;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Closes the connection; a pending read or write fails. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
            return;
        await _stream.DisposeAsync();
    }

    /// <summary>Fills <paramref name="destination"/> unless the stream ends first; returns the bytes placed.</summary>
    private async ValueTask<int> FillAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        int filled = 0;
        while (filled < destination.Length)
        {
            int buffered = _readEnd - _readStart;
            if (buffered > 0)
            {
                int n = Math.Min(buffered, destination.Length - filled);
                _readBuffer.AsMemory(_readStart, n).CopyTo(destination[filled..]);
                _readStart += n;
                filled += n;
            }
            else if (destination.Length - filled >= ReadBufferSize)
            {
                // Large payloads are read straight into place rather than through the buffer.
                int n = await _stream.ReadAsync(destination[filled..], cancellationToken);
                if (n == 0)
                    break;
                filled += n;
            }
            else if (!await RefillAsync(cancellationToken))
            {
                break;
            }
        }
        return filled;
    }

    private async ValueTask SkipAsync(MessageHeader header, CancellationToken cancellationToken)
    {
        long remaining = header.Length;
        while (remaining > 0)
        {
            if (_readEnd == _readStart && !await RefillAsync(cancellationToken))
                throw new EndOfStreamException(
                    $"ttrpc: connection closed while skipping the oversized message on stream {header.StreamId} ({header.Length - remaining} of {header.Length} bytes)");
            int n = (int)Math.Min(remaining, _readEnd - _readStart);
            _readStart += n;
            remaining -= n;
        }
    }

    private async ValueTask<bool> RefillAsync(CancellationToken cancellationToken)
    {
        _readStart = 0;
        _readEnd = await _stream.ReadAsync(_readBuffer, cancellationToken);
        return _readEnd > 0;
    }
}
