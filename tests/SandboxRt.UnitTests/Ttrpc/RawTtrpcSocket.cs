using System.Buffers.Binary;
using System.Net.Sockets;

namespace SandboxRt.UnitTests.Ttrpc;

/// <summary>
/// One end of a ttrpc connection driven byte by byte, so that tests check the wire format rather
/// than the library's own reading of it.
/// </summary>
internal sealed class RawTtrpcSocket : IDisposable
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(5);

    private readonly NetworkStream _stream;

    public RawTtrpcSocket(Socket socket) => _stream = new NetworkStream(socket, ownsSocket: true);

    public static async Task<RawTtrpcSocket> ConnectAsync(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
        return new RawTtrpcSocket(socket);
    }

    public Task WriteAsync(byte[] bytes) => _stream.WriteAsync(bytes).AsTask();

    /// <summary>A 10-byte header (big-endian length, stream id, type, flags 0) then the payload.</summary>
    public Task WriteFrameAsync(uint streamId, byte type, byte[] payload)
    {
        var frame = new byte[10 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)payload.Length);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), streamId);
        frame[8] = type;
        payload.CopyTo(frame, 10);
        return WriteAsync(frame);
    }

    /// <summary>The next frame, header and payload as they arrived.</summary>
    public async Task<(byte[] Header, byte[] Payload)> ReadFrameAsync()
    {
        using var timeout = new CancellationTokenSource(ReadTimeout);
        var header = new byte[10];
        await _stream.ReadExactlyAsync(header, timeout.Token);
        var payload = new byte[BinaryPrimitives.ReadUInt32BigEndian(header)];
        await _stream.ReadExactlyAsync(payload, timeout.Token);
        return (header, payload);
    }

    public void Dispose() => _stream.Dispose();
}
