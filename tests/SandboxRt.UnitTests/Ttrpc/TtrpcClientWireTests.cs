using System.Net.Sockets;
using Google.Protobuf.WellKnownTypes;
using SandboxRt.Grpc;
using SandboxRt.Ttrpc;
using SandboxRt.Ttrpc.Wire;

namespace SandboxRt.UnitTests.Ttrpc;

/// <summary>The client as a Go server sees it: a raw socket reads its requests and answers by hand.</summary>
[Trait("Tier", "unit")]
public sealed class TtrpcClientWireTests
{
    [Fact]
    public async Task Sends_odd_increasing_stream_ids_timeout_and_metadata_and_pairs_responses_by_id()
    {
        using var directory = new TempDirectory();
        var path = Path.Combine(directory.Path, "raw.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        await using var client = await TtrpcClient.ConnectAsync(path);
        using var server = new RawTtrpcSocket(await listener.AcceptAsync());

        var metadata = new TtrpcMetadata();
        metadata.Add(TtrpcMetadata.NamespaceKey, "default");
        var calls = new[] { "a", "b", "c" }.ToDictionary(v => v, v => client.CallAsync("svc", "M", new StringValue { Value = v }, StringValue.Parser,
            new TtrpcCallOptions(TimeSpan.FromSeconds(2), metadata)));

        var received = new List<(uint StreamId, string Value)>();
        for (int i = 0; i < 3; i++)
        {
            var (header, payload) = await server.ReadFrameAsync();
            Assert.Equal(1, header[8]);
            var request = Request.Parser.ParseFrom(payload);
            Assert.Equal(("svc", "M"), (request.Service, request.Method));
            Assert.Equal(2_000_000_000, request.TimeoutNano);
            Assert.Equal(TtrpcMetadata.NamespaceKey, Assert.Single(request.Metadata).Key);
            received.Add(((uint)(header[4] << 24 | header[5] << 16 | header[6] << 8 | header[7]), StringValue.Parser.ParseFrom(request.Payload).Value));
        }
        Assert.Equal([1u, 3u, 5u], received.Select(r => r.StreamId));

        // Answer last-first; "c" fails.
        foreach (var (id, value) in Enumerable.Reverse(received))
        {
            byte[] response = value == "c"
                ? [0x0A, 0x08, 0x08, 0x05, 0x12, 0x04, .. "gone"u8]          // status { NOT_FOUND, "gone" }
                : [0x12, 0x06, 0x0A, 0x04, .. "re:"u8, (byte)value[0]];      // payload StringValue { "re:" + value }
            await server.WriteFrameAsync(id, 2, response);
        }

        Assert.Equal("re:a", (await calls["a"]).Value);
        Assert.Equal("re:b", (await calls["b"]).Value);
        var e = await Assert.ThrowsAsync<TtrpcException>(() => calls["c"]);
        Assert.Equal((StatusCode.NotFound, "gone"), (e.Code, e.Message));
    }
}
