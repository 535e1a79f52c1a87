using System.Net;
using System.Net.Sockets;
using SandboxRt.Agent.Network;
using SandboxRt.UnitTests.Fakes;

namespace SandboxRt.Agent.UnitTests.Network;

/// <summary>
/// The guest's end of Docker's embedded DNS, on a loopback port of the test's instead of 127.0.0.11:53:
/// each query is handed over with an id and its answer goes back to the client that asked, from the
/// listener's address, or on its TCP connection with the length before it; what is not a query is dropped
/// (a TCP connection that sends one is closed); queries that waited too long make room; TCP connections
/// beyond the bound are closed.
/// </summary>
[Trait("Tier", "unit")]
public sealed class GuestDnsListenerTests : IDisposable
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);
    private readonly ManualTime _time = new();
    private readonly GuestDnsListener _listener;

    public GuestDnsListenerTests() => _listener = GuestDnsListener.Bind(new IPEndPoint(IPAddress.Loopback, 0), _time);

    public void Dispose() => _listener.Dispose();

    private static CancellationToken Test => TestContext.Current.CancellationToken;

    private Socket Client()
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Connect(_listener.LocalEndPoint);
        return client;
    }

    private static byte[] Query(byte marker, int length = 29)
    {
        var query = new byte[length];
        query[0] = marker;
        return query;
    }

    [Fact]
    public async Task Each_answer_goes_back_to_the_client_that_asked_from_the_listeners_address()
    {
        using var first = Client();
        using var second = Client();
        first.Send(Query(1));
        second.Send(Query(2));
        var a = await _listener.ReceiveAsync(Test).AsTask().WaitAsync(Hang, Test);
        var b = await _listener.ReceiveAsync(Test).AsTask().WaitAsync(Hang, Test);
        Assert.NotEqual(a.Id, b.Id);
        Assert.Equal([1, 2], new[] { a.Message[0], b.Message[0] }.Order().Select(m => (int)m));

        // answered in the other order, each reaches its own client
        foreach (var (id, message, _) in new[] { b, a })
            await _listener.AnswerAsync(id, new byte[] { message[0], 0xAA }, Test);
        var buffer = new byte[64];
        Assert.Equal(2, await first.ReceiveAsync(buffer, SocketFlags.None, Test).AsTask().WaitAsync(Hang, Test));
        Assert.Equal([1, 0xAA], buffer[..2]);
        Assert.Equal(2, await second.ReceiveAsync(buffer, SocketFlags.None, Test).AsTask().WaitAsync(Hang, Test));
        Assert.Equal([2, 0xAA], buffer[..2]);

        // an answer to no waiting query (answered already, or never asked) goes nowhere
        await _listener.AnswerAsync(a.Id, new byte[] { 9 }, Test);
        await _listener.AnswerAsync(12345, new byte[] { 9 }, Test);
        Assert.Equal(0, first.Available);
    }

    private async Task<NetworkStream> TcpClientAsync()
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(_listener.LocalEndPoint, Test);
        return new NetworkStream(client, ownsSocket: true);
    }

    private static async Task SendFramedAsync(Stream stream, byte[] message)
    {
        await stream.WriteAsync(new[] { (byte)(message.Length >> 8), (byte)message.Length }, Test);
        await stream.WriteAsync(message, Test);
    }

    private static async Task<int> ReadToEndAsync(Stream stream, byte[] buffer) =>
        await stream.ReadAsync(buffer, Test).AsTask().WaitAsync(Hang, Test);

    [Fact]
    public async Task A_tcp_clients_queries_are_handed_over_as_tcp_and_each_answer_comes_back_framed_on_its_connection()
    {
        await using var stream = await TcpClientAsync();
        var buffer = new byte[5000];
        for (byte marker = 1; marker <= 2; marker++)
        {
            await SendFramedAsync(stream, Query(marker));
            var (id, message, tcp) = await _listener.ReceiveAsync(Test).AsTask().WaitAsync(Hang, Test);
            Assert.True(tcp);
            Assert.Equal(Query(marker), message);
            // larger than any UDP answer without EDNS: what TCP is for
            var answer = new byte[3000];
            answer[0] = marker;
            answer[^1] = 0xAA;
            await _listener.AnswerAsync(id, answer, Test);
            await stream.ReadExactlyAsync(buffer.AsMemory(0, 2), Test).AsTask().WaitAsync(Hang, Test);
            Assert.Equal(3000, buffer[0] << 8 | buffer[1]);
            await stream.ReadExactlyAsync(buffer.AsMemory(0, 3000), Test).AsTask().WaitAsync(Hang, Test);
            Assert.Equal((marker, (byte)0xAA), (buffer[0], buffer[2999]));
        }
        // a UDP query meanwhile is still a datagram one
        using var udp = Client();
        udp.Send(Query(9));
        Assert.False((await _listener.ReceiveAsync(Test).AsTask().WaitAsync(Hang, Test)).Tcp);
    }

    [Theory]
    [InlineData(GuestDnsListener.MinMessage - 1)]
    [InlineData(GuestDnsListener.MaxMessage + 1)]
    public async Task A_tcp_query_of_the_wrong_size_closes_its_connection(int length)
    {
        await using var stream = await TcpClientAsync();
        await stream.WriteAsync(new[] { (byte)(length >> 8), (byte)length }, Test);

        Assert.Equal(0, await ReadToEndAsync(stream, new byte[16]));
    }

    [Fact]
    public async Task Tcp_connections_beyond_the_bound_are_closed_at_once()
    {
        var open = new List<NetworkStream>();
        try
        {
            for (int i = 0; i < GuestDnsListener.MaxTcpConnections; i++)
            {
                open.Add(await TcpClientAsync());
                // each one is served (its query handed over) before the next connects, so all count
                await SendFramedAsync(open[^1], Query((byte)i));
                Assert.True((await _listener.ReceiveAsync(Test).AsTask().WaitAsync(Hang, Test)).Tcp);
            }
            await using var extra = await TcpClientAsync();

            Assert.Equal(0, await ReadToEndAsync(extra, new byte[16]));
        }
        finally
        {
            foreach (var stream in open)
                await stream.DisposeAsync();
        }
    }

    [Fact]
    public async Task Datagrams_shorter_than_a_header_or_longer_than_the_bound_are_dropped()
    {
        using var client = Client();
        client.Send(Query(1, GuestDnsListener.MinMessage - 1));
        client.Send(Query(2, GuestDnsListener.MaxMessage + 1));
        client.Send(Query(3, GuestDnsListener.MaxMessage));
        client.Send(Query(4, GuestDnsListener.MinMessage));
        var third = await _listener.ReceiveAsync(Test).AsTask().WaitAsync(Hang, Test);
        var fourth = await _listener.ReceiveAsync(Test).AsTask().WaitAsync(Hang, Test);
        Assert.Equal((3, GuestDnsListener.MaxMessage), (third.Message[0], third.Message.Length));
        Assert.Equal((4, GuestDnsListener.MinMessage), (fourth.Message[0], fourth.Message.Length));
    }

    [Fact]
    public async Task When_every_slot_waits_a_query_older_than_the_lifetime_makes_room()
    {
        using var client = Client();
        var ids = new HashSet<uint>();
        for (int i = 0; i < GuestDnsListener.MaxPending; i++)
        {
            client.Send(Query((byte)i));
            Assert.True(ids.Add((await _listener.ReceiveAsync(Test).AsTask().WaitAsync(Hang, Test)).Id));
        }
        _time.Advance(GuestDnsListener.PendingLifetime + TimeSpan.FromSeconds(1));
        client.Send(Query(0xEE));
        var late = await _listener.ReceiveAsync(Test).AsTask().WaitAsync(Hang, Test);
        Assert.Equal(0xEE, late.Message[0]);
    }
}
