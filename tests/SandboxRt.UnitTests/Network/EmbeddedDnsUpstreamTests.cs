using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using SandboxRt.Runtime.Network.EmbeddedDns;

namespace SandboxRt.UnitTests.Network;

/// <summary>
/// The host's way to Docker's embedded server, against a server of the test's on a loopback port: over
/// TCP with the 2-byte length before each message, so that an answer larger than a UDP answer may be comes
/// back whole; over UDP as a datagram; an answer under another DNS id is not taken for the query's.
/// </summary>
[Trait("Tier", "unit")]
public sealed class EmbeddedDnsUpstreamTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    private static CancellationToken Test => TestContext.Current.CancellationToken;

    private static byte[] Query() => [0x5a, 0x17, .. new byte[28]];

    /// <summary>A TCP server that answers one query with <paramref name="answerLength"/> bytes under the given id.</summary>
    private static (IPEndPoint At, Task<byte[]> Received) TcpServer(int answerLength, byte idHigh)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        async Task<byte[]> ServeAsync()
        {
            using (listener)
            {
                using var connection = await listener.AcceptAsync(Test);
                await using var stream = new NetworkStream(connection);
                var prefix = new byte[2];
                await stream.ReadExactlyAsync(prefix, Test);
                var query = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
                await stream.ReadExactlyAsync(query, Test);
                var answer = new byte[answerLength];
                answer[0] = idHigh;
                answer[1] = query[1];
                answer[^1] = 0xEE;
                BinaryPrimitives.WriteUInt16BigEndian(prefix, (ushort)answerLength);
                await stream.WriteAsync(prefix, Test);
                await stream.WriteAsync(answer, Test);
                return query;
            }
        }
        return ((IPEndPoint)listener.LocalEndPoint!, ServeAsync());
    }

    [Fact]
    public async Task Over_tcp_an_answer_larger_than_a_datagram_answer_comes_back_whole()
    {
        var (at, received) = TcpServer(3000, 0x5a);

        var answer = await new EmbeddedDnsUpstream(at).ExchangeAsync(Query(), tcp: true, Test).WaitAsync(Hang, Test);

        Assert.Equal(Query(), await received.WaitAsync(Hang, Test));
        Assert.NotNull(answer);
        Assert.Equal(3000, answer.Length);
        Assert.Equal(0xEE, answer[^1]);
    }

    [Fact]
    public async Task Over_tcp_an_answer_under_another_id_is_no_answer()
    {
        var (at, _) = TcpServer(100, 0x01);

        Assert.Null(await new EmbeddedDnsUpstream(at).ExchangeAsync(Query(), tcp: true, Test).WaitAsync(Hang, Test));
    }

    [Fact]
    public async Task Over_udp_the_answer_is_the_servers_datagram_with_the_querys_id()
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var exchange = new EmbeddedDnsUpstream((IPEndPoint)server.LocalEndPoint!).ExchangeAsync(Query(), tcp: false, Test);
        var buffer = new byte[512];
        var got = await server.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), Test).AsTask().WaitAsync(Hang, Test);
        Assert.Equal(Query(), buffer[..got.ReceivedBytes]);
        await server.SendToAsync(new byte[] { 0x01, 0x17, 1 }, SocketFlags.None, got.RemoteEndPoint, Test); // another id: not taken
        await server.SendToAsync(new byte[] { 0x5a, 0x17, 2 }, SocketFlags.None, got.RemoteEndPoint, Test);

        Assert.Equal([0x5a, 0x17, 2], await exchange.WaitAsync(Hang, Test));
    }
}
