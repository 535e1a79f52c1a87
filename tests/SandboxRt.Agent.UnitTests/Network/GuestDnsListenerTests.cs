using System.Net;
using System.Net.Sockets;
using SandboxRt.Agent.Network;
using SandboxRt.UnitTests.Fakes;

namespace SandboxRt.Agent.UnitTests.Network;

/// <summary>
/// The guest's end of Docker's embedded DNS, on a loopback port of the test's instead of 127.0.0.11:53:
/// each query is handed over with an id and its answer goes back to the client that asked, from the
/// listener's address; what is not a query is dropped; queries that waited too long make room.
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
        foreach (var (id, message) in new[] { b, a })
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
