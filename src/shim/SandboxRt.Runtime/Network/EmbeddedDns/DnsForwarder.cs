// The host's end of Docker's embedded DNS forwarding (see Relay/RelayDnsForwarding.cs for when it runs).
//
// The guest (agent and workload alike) is untrusted: every query read here is the guest's. The host does
// one thing with it: sends it to Docker's embedded server through the upstream (127.0.0.11:53 in the
// container's host network namespace, nothing else; over TCP when the guest's client asked over TCP) and
// returns the answer under the query's id. Bounds:
//   - a query shorter than a DNS header or longer than MaxQueryBytes, or reusing the id of a query still
//     in flight, is something the agent never sends: the forwarding ends with a log line (never an
//     exception out of here, so the relay carries on with the container);
//   - at most MaxInFlight queries wait for the embedded server, and queries beyond a token-bucket rate
//     are dropped, counted and logged once per drop streak (DNS clients retry; a flood costs the host a
//     counter, not sockets);
//   - each query waits UpstreamTimeout at most.
// Answers are written one at a time (the call's request stream allows one writer).
using Microsoft.Extensions.Logging;
using SandboxRt.Runtime.Agent;

namespace SandboxRt.Runtime.Network.EmbeddedDns;

public sealed class DnsForwarder(IDnsQueryChannel channel, IDnsUpstream upstream, DnsForwardingLimits limits, ILogger log, TimeProvider? time = null)
{
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly HashSet<uint> _inFlight = [];
    private readonly QueryRateLimit _rate = new(limits.QueriesPerSecond, limits.Burst, time ?? TimeProvider.System);
    private long _dropped;
    private bool _dropping;

    /// <summary>Called with a query's id once it has left flight (answered, given up or failed): the tests' event.</summary>
    internal Action<uint>? Finished { get; init; }

    /// <summary>Queries dropped for the in-flight bound or the rate so far.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Forwards until the agent ends the call, the guest misbehaves, or <paramref name="cancellationToken"/>.</summary>
    public async Task<DnsForwardingEnd> RunAsync(CancellationToken cancellationToken = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = new List<Task>();
        try
        {
            while (true)
            {
                GuestDnsQuery? query;
                try
                {
                    query = await channel.ReadAsync(stop.Token);
                }
                catch (Exception e)
                {
                    if (cancellationToken.IsCancellationRequested)
                        return DnsForwardingEnd.Stopped;
                    // whatever ended the call (the agent, the connection, the VM), it ends only the forwarding
                    log.LogDebug("DNS forwarding: the agent's call ended: {Error}", e.Message);
                    return DnsForwardingEnd.AgentEnded;
                }
                if (query is null)
                    return DnsForwardingEnd.AgentEnded;
                if (Malformed(query) is { } problem)
                {
                    log.LogWarning("DNS forwarding ended: the guest sent {Problem}", problem);
                    return DnsForwardingEnd.Malformed;
                }
                if (!Admit(query.Id))
                    continue;
                running.RemoveAll(t => t.IsCompleted);
                running.Add(ForwardAsync(query, stop.Token));
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(running); // ForwardAsync never throws
        }
    }

    private string? Malformed(GuestDnsQuery query)
    {
        if (query.Message.Length < limits.MinQueryBytes || query.Message.Length > limits.MaxQueryBytes)
            return $"a query of {query.Message.Length} bytes (id {query.Id}; {limits.MinQueryBytes} to {limits.MaxQueryBytes} allowed)";
        lock (_inFlight)
            return _inFlight.Contains(query.Id) ? $"query id {query.Id} again while it is in flight" : null;
    }

    /// <summary>Takes the query into flight, or drops it (the in-flight bound, the rate), logging the first drop of a streak.</summary>
    private bool Admit(uint id)
    {
        bool admitted;
        lock (_inFlight)
        {
            admitted = _inFlight.Count < limits.MaxInFlight && _rate.TryTake();
            if (admitted)
                _inFlight.Add(id);
        }
        if (admitted)
        {
            _dropping = false;
            return true;
        }
        long dropped = Interlocked.Increment(ref _dropped);
        if (!_dropping)
            log.LogWarning("DNS forwarding: dropping the guest's queries ({Limit} in flight or {Rate}/s at most; {Dropped} dropped so far)",
                limits.MaxInFlight, limits.QueriesPerSecond, dropped);
        _dropping = true;
        return false;
    }

    private async Task ForwardAsync(GuestDnsQuery query, CancellationToken cancellationToken)
    {
        try
        {
            byte[]? answer;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(limits.UpstreamTimeout);
                answer = await upstream.ExchangeAsync(query.Message, query.Tcp, timeout.Token);
            }
            if (answer is null)
                return;
            await _writing.WaitAsync(cancellationToken);
            try
            {
                await channel.AnswerAsync(query.Id, answer, cancellationToken);
            }
            finally
            {
                _writing.Release();
            }
        }
        catch (OperationCanceledException)
        {
            // given up (the timeout), or the forwarding is ending
        }
        catch (Exception e)
        {
            log.LogDebug("DNS forwarding: query {Id}: {Error}", query.Id, e.Message);
        }
        finally
        {
            lock (_inFlight)
                _inFlight.Remove(query.Id);
            Finished?.Invoke(query.Id);
        }
    }
}
