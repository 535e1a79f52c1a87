using Microsoft.Extensions.Logging;
using SandboxRt.Runtime.Network.EmbeddedDns;
using SandboxRt.UnitTests.Fakes;

namespace SandboxRt.UnitTests.Network;

/// <summary>
/// The host's end of the guest's DNS forwarding against a scripted agent and upstream: answers go back
/// under the query's id; what no honest agent sends (a query too short or too long, an id reused while
/// in flight) ends the forwarding with a log line and reaches no upstream; queries beyond the in-flight
/// bound or the rate are dropped, not queued; an upstream that fails or never answers costs one query.
/// </summary>
[Trait("Tier", "unit")]
public sealed class DnsForwarderTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);
    private readonly FakeDnsQueryChannel _agent = new();
    private readonly FakeDnsUpstream _upstream = new();
    private readonly RecordingLogger _log = new();
    private readonly ManualTime _time = new();
    private readonly System.Threading.Channels.Channel<uint> _finished = System.Threading.Channels.Channel.CreateUnbounded<uint>();

    private static CancellationToken Test => TestContext.Current.CancellationToken;

    private static byte[] Query(byte id, int length = 30)
    {
        var query = new byte[length];
        query[0] = 0x12;
        query[1] = id;
        return query;
    }

    private DnsForwarder Forwarder(DnsForwardingLimits? limits = null) =>
        new(_agent, _upstream, limits ?? DnsForwardingLimits.Default, _log, _time) { Finished = id => _finished.Writer.TryWrite(id) };

    [Fact]
    public async Task Each_answer_goes_back_under_its_querys_id_and_the_agents_end_ends_the_forwarding()
    {
        var running = Forwarder().RunAsync(Test);
        _agent.Query(7, Query(1));
        _agent.Query(8, Query(2));
        var answers = new[] { await _agent.Answers.ReadAsync(Test), await _agent.Answers.ReadAsync(Test) }.OrderBy(a => a.Id).ToArray();
        Assert.Equal(7u, answers[0].Id);
        Assert.Equal([.. Query(1), .. "ANSWER"u8], answers[0].Message);
        Assert.Equal(8u, answers[1].Id);

        _agent.End();
        Assert.Equal(DnsForwardingEnd.AgentEnded, await running.WaitAsync(Hang, Test));
    }

    [Fact]
    public async Task A_query_the_guests_client_sent_over_tcp_is_sent_upstream_over_tcp_and_others_over_udp()
    {
        var running = Forwarder().RunAsync(Test);
        _agent.Query(7, Query(1), tcp: true);
        Assert.True(await _upstream.SentOverTcp.ReadAsync(Test).AsTask().WaitAsync(Hang, Test));
        Assert.Equal(7u, (await _agent.Answers.ReadAsync(Test)).Id);
        _agent.Query(8, Query(2));
        Assert.False(await _upstream.SentOverTcp.ReadAsync(Test).AsTask().WaitAsync(Hang, Test));
        Assert.Equal(8u, (await _agent.Answers.ReadAsync(Test)).Id);

        _agent.End();
        Assert.Equal(DnsForwardingEnd.AgentEnded, await running.WaitAsync(Hang, Test));
    }

    [Theory]
    [InlineData(11)]
    [InlineData(4097)]
    [InlineData(0)]
    public async Task A_query_of_the_wrong_size_ends_the_forwarding_with_a_log_line_and_is_not_sent(int length)
    {
        var running = Forwarder().RunAsync(Test);
        _agent.Query(1, new byte[length]);

        Assert.Equal(DnsForwardingEnd.Malformed, await running.WaitAsync(Hang, Test));
        Assert.False(_upstream.Sent.TryRead(out _));
        Assert.Contains(_log.At(LogLevel.Warning), l => l.StartsWith("DNS forwarding ended: the guest sent a query of " + length + " bytes"));
    }

    [Fact]
    public async Task An_id_reused_while_its_query_is_in_flight_ends_the_forwarding()
    {
        _upstream.Hold = new TaskCompletionSource();
        var running = Forwarder().RunAsync(Test);
        _agent.Query(5, Query(1));
        await _upstream.Sent.ReadAsync(Test); // in flight
        _agent.Query(5, Query(2));

        Assert.Equal(DnsForwardingEnd.Malformed, await running.WaitAsync(Hang, Test));
        Assert.Contains("DNS forwarding ended: the guest sent query id 5 again while it is in flight", _log.At(LogLevel.Warning));
        Assert.False(_upstream.Sent.TryRead(out _));
        Assert.True(_upstream.GaveUp.Task.IsCompleted); // the held query was given up when the forwarding ended
    }

    [Fact]
    public async Task Queries_beyond_the_in_flight_bound_are_dropped_and_later_ones_go_through()
    {
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _upstream.Hold = hold;
        var forwarder = Forwarder(DnsForwardingLimits.Default with { MaxInFlight = 2 });
        var running = forwarder.RunAsync(Test);
        for (uint id = 1; id <= 4; id++)
            _agent.Query(id, Query((byte)id));
        await _agent.WhenRead(5).WaitAsync(Hang, Test); // the four were dealt with
        Assert.Equal(2, forwarder.Dropped);
        Assert.Single(_log.At(LogLevel.Warning), l => l.StartsWith("DNS forwarding: dropping the guest's queries (2 in flight or 100/s at most"));
        Assert.Equal([1, 2], new[] { (await _upstream.Sent.ReadAsync(Test))[1], (await _upstream.Sent.ReadAsync(Test))[1] }.Order().Select(b => (int)b));

        _upstream.Hold = null;
        hold.SetResult();
        Assert.Equal([1u, 2u], new[] { await _finished.Reader.ReadAsync(Test), await _finished.Reader.ReadAsync(Test) }.Order());
        _agent.Query(99, Query(99));
        Assert.Equal([1u, 2u, 99u], new[] { (await _agent.Answers.ReadAsync(Test)).Id, (await _agent.Answers.ReadAsync(Test)).Id, (await _agent.Answers.ReadAsync(Test)).Id }.Order());
        Assert.Equal(2, forwarder.Dropped);

        _agent.End();
        Assert.Equal(DnsForwardingEnd.AgentEnded, await running.WaitAsync(Hang, Test));
    }

    [Fact]
    public async Task Queries_beyond_the_rate_are_dropped_until_the_bucket_refills()
    {
        var forwarder = Forwarder(DnsForwardingLimits.Default with { QueriesPerSecond = 10, Burst = 3 });
        var running = forwarder.RunAsync(Test);
        for (uint id = 1; id <= 5; id++)
            _agent.Query(id, Query((byte)id));
        _agent.Query(6, Query(6));
        for (int i = 0; i < 3; i++)
            await _agent.Answers.ReadAsync(Test);
        _agent.End();
        Assert.Equal(DnsForwardingEnd.AgentEnded, await running.WaitAsync(Hang, Test));
        Assert.Equal(3, forwarder.Dropped);

        // a tenth of a second later, one more is let through
        var limit = new QueryRateLimit(10, 3, _time);
        Assert.True(limit.TryTake() && limit.TryTake() && limit.TryTake());
        Assert.False(limit.TryTake());
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.True(limit.TryTake());
        Assert.False(limit.TryTake());
        _time.Advance(TimeSpan.FromHours(1));
        Assert.True(limit.TryTake() && limit.TryTake() && limit.TryTake()); // never more than the burst
        Assert.False(limit.TryTake());
    }

    [Fact]
    public async Task An_upstream_that_fails_or_gives_nothing_costs_that_query_only()
    {
        _upstream.Answer = q => q[1] switch
        {
            1 => throw new System.Net.Sockets.SocketException(111),
            2 => null,
            _ => [q[1]],
        };
        var running = Forwarder().RunAsync(Test);
        _agent.Query(1, Query(1));
        _agent.Query(2, Query(2));
        _agent.Query(3, Query(3));
        var answer = await _agent.Answers.ReadAsync(Test);
        Assert.Equal(3u, answer.Id);
        Assert.Equal([3], answer.Message);

        _agent.End();
        Assert.Equal(DnsForwardingEnd.AgentEnded, await running.WaitAsync(Hang, Test));
        Assert.False(_agent.Answers.TryRead(out _));
    }

    [Fact]
    public async Task An_upstream_that_never_answers_is_given_up_after_the_timeout()
    {
        _upstream.Hold = new TaskCompletionSource();
        var running = Forwarder(DnsForwardingLimits.Default with { UpstreamTimeout = TimeSpan.FromMilliseconds(1), MaxInFlight = 1 }).RunAsync(Test);
        _agent.Query(1, Query(1));
        await _upstream.Sent.ReadAsync(Test);
        Assert.Equal(1u, await _finished.Reader.ReadAsync(Test)); // given up
        Assert.True(_upstream.GaveUp.Task.IsCompleted);
        _upstream.Hold = null;
        // room again for a query (the bound is one in flight)
        _agent.Query(2, Query(2));
        Assert.Equal(2u, (await _agent.Answers.ReadAsync(Test)).Id);
        _agent.End();
        await running.WaitAsync(Hang, Test);
    }

    [Theory]
    [InlineData("agent")]
    [InlineData("cancelled")]
    public async Task A_call_that_breaks_ends_the_forwarding_without_an_exception(string how)
    {
        var running = Forwarder().RunAsync(Test);
        _agent.Fail(how == "agent"
            ? new SandboxRt.Runtime.Agent.AgentException(SandboxRt.Runtime.Agent.AgentErrorKind.Unavailable, "ForwardDns", "the VM went away")
            : new OperationCanceledException("the HTTP/2 stream was reset"));
        Assert.Equal(DnsForwardingEnd.AgentEnded, await running.WaitAsync(Hang, Test));
    }

    [Fact]
    public async Task Cancelling_stops_the_forwarding()
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Test);
        var running = Forwarder().RunAsync(stop.Token);
        await stop.CancelAsync();
        Assert.Equal(DnsForwardingEnd.Stopped, await running.WaitAsync(Hang, Test));
    }
}
