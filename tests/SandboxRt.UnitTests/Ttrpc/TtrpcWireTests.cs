using System.Text;
using SandboxRt.Grpc;
using SandboxRt.Ttrpc.Wire;

namespace SandboxRt.UnitTests.Ttrpc;

/// <summary>
/// The server as a Go client sees it: frames written and read as raw bytes. The expected bytes are
/// what github.com/containerd/ttrpc (channel.go, types.go) puts on the wire.
/// </summary>
[Trait("Tier", "unit")]
public sealed class TtrpcWireTests : IAsyncLifetime
{
    private readonly TtrpcTestServer _server = new();
    private RawTtrpcSocket _raw = null!;

    public async ValueTask InitializeAsync() => _raw = await RawTtrpcSocket.ConnectAsync(_server.SocketPath);

    public async ValueTask DisposeAsync()
    {
        _raw.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task A_hand_built_request_gets_the_response_bytes_Go_would_send()
    {
        byte[] request =
        [
            0x00, 0x00, 0x00, 0x25,                      // length 37, big-endian
            0x00, 0x00, 0x00, 0x01,                      // stream 1
            0x01, 0x00,                                  // type request, flags 0
            0x0A, 0x09, .. "test.Echo"u8,                // 1 service
            0x12, 0x04, .. "Echo"u8,                     // 2 method
            0x1A, 0x04, 0x0A, 0x02, .. "hi"u8,           // 3 payload: StringValue { value = "hi" }
            0x20, 0x80, 0x94, 0xEB, 0xDC, 0x03,          // 4 timeout_nano = 1 s
            0x2A, 0x06, 0x0A, 0x01, (byte)'k', 0x12, 0x01, (byte)'v', // 5 metadata { k: v }
        ];

        await _raw.WriteAsync(request);
        var (header, payload) = await _raw.ReadFrameAsync();

        Assert.Equal(new byte[] { 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00 }, header);
        // No status on success (Go: status.FromError(nil).Proto() is nil), then 2 payload.
        Assert.Equal(new byte[] { 0x12, 0x04, 0x0A, 0x02, (byte)'h', (byte)'i' }, payload);
    }

    [Fact]
    public async Task The_server_enforces_timeout_nano_with_DEADLINE_EXCEEDED()
    {
        byte[] request =
        [
            0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00, 0x03, 0x01, 0x00,
            0x0A, 0x09, .. "test.Echo"u8,
            0x12, 0x0D, .. "WaitForCancel"u8,
            0x20, 0x80, 0xC2, 0xD7, 0x2F,                // timeout_nano = 100 ms
        ];

        await _raw.WriteAsync(request);
        var (header, payload) = await _raw.ReadFrameAsync();

        Assert.Equal(new byte[] { 0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00, 0x03, 0x02, 0x00 }, header);
        byte[] status = [0x0A, 0x1D, 0x08, 0x04, 0x12, 0x19, .. "context deadline exceeded"u8];
        Assert.Equal(status, payload);
    }

    [Fact]
    public async Task An_oversized_frame_gets_RESOURCE_EXHAUSTED_and_the_connection_stays_usable()
    {
        const int Oversized = (4 << 20) + 1;
        var frame = new byte[10 + Oversized];
        frame[1] = 0x40; frame[3] = 0x01;  // length 0x00400001
        frame[7] = 7;                      // stream 7
        frame[8] = 1;                      // request

        var writing = _raw.WriteAsync(frame);
        var (header, payload) = await _raw.ReadFrameAsync();
        await writing;

        Assert.Equal(7u, StreamId(header));
        var response = Response.Parser.ParseFrom(payload);
        Assert.Equal((int)StatusCode.ResourceExhausted, response.Status.Code);
        Assert.Equal("message length 4194305 exceed maximum message size of 4194304", response.Status.Message);

        await _raw.WriteFrameAsync(9, 1, EchoRequest("still here"));
        (header, payload) = await _raw.ReadFrameAsync();
        Assert.Equal(9u, StreamId(header));
        Assert.Equal(EchoReply("still here"), payload);
    }

    [Fact]
    public async Task An_even_stream_id_gets_INVALID_ARGUMENT_on_that_id_and_the_connection_stays_usable()
    {
        await _raw.WriteFrameAsync(2, 1, EchoRequest("even"));
        var (header, payload) = await _raw.ReadFrameAsync();

        Assert.Equal(2u, StreamId(header));
        var response = Response.Parser.ParseFrom(payload);
        Assert.Equal((int)StatusCode.InvalidArgument, response.Status.Code);
        Assert.Equal("StreamID must be odd for client initiated streams", response.Status.Message);

        await _raw.WriteFrameAsync(5, 1, EchoRequest("odd"));
        (header, payload) = await _raw.ReadFrameAsync();
        Assert.Equal(5u, StreamId(header));
        Assert.Equal(EchoReply("odd"), payload);
    }

    private static uint StreamId(byte[] header) => (uint)(header[4] << 24 | header[5] << 16 | header[6] << 8 | header[7]);

    /// <summary>ttrpc.Request { service "test.Echo", method "Echo", payload StringValue { value } }, values under 128 bytes.</summary>
    private static byte[] EchoRequest(string value)
    {
        var text = Encoding.UTF8.GetBytes(value);
        return [0x0A, 0x09, .. "test.Echo"u8, 0x12, 0x04, .. "Echo"u8, 0x1A, (byte)(text.Length + 2), 0x0A, (byte)text.Length, .. text];
    }

    private static byte[] EchoReply(string value)
    {
        var text = Encoding.UTF8.GetBytes(value);
        return [0x12, (byte)(text.Length + 2), 0x0A, (byte)text.Length, .. text];
    }
}
