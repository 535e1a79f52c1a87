// Docker's embedded DNS for a container in a VM (a runc-CLI container on a user-defined network).
//
// Docker gives such a container `nameserver 127.0.0.11` and serves it inside the container's own network
// namespace on the host: its prestart hook starts the server and adds iptables rules there that send
// 127.0.0.11:53 on to it. That namespace is the relay's (RelayLauncher made it; the VM mirrors it), and
// the relay lives as long as the container, so the relay is where queries are sent from. The guest's
// side is the agent's ForwardDns call: the agent listens on 127.0.0.11:53 in the guest's namespace and
// hands each query over; DnsForwarder bounds what the host does with them.
//
// Started once the container exists and before create returns (the workload runs only after start, and
// finds the listener there), never at boot, so a VM restored from a template gets it as a booted one does;
// or, for a container whose resolv.conf did not name the server at create, when its namespace first
// changes after create (`docker network connect` to a user-defined network rewrites resolv.conf to
// 127.0.0.11 and starts the server there; before 2026-12-07 every name then failed in the VM).
// Without the line in resolv.conf, or without a namespace of the relay's own, nothing changes. A guest
// image without ForwardDns, or a listener that cannot be bound, is logged and the container runs
// without the embedded server, as it did before.
using Microsoft.Extensions.Logging;
using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Network.EmbeddedDns;

namespace SandboxRt.Runtime.Relay;

public sealed class RelayDnsForwarding : IAsyncDisposable
{
    private readonly IDnsQueryChannel _channel;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<DnsForwardingEnd> _running;
    private int _disposed;

    /// <summary>How long the agent may take to end the call once asked (it closes a socket).</summary>
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long the agent may take to listen (a bind is all it does).</summary>
    private static readonly TimeSpan OpenTimeout = TimeSpan.FromSeconds(30);

    private RelayDnsForwarding(IDnsQueryChannel channel, IDnsUpstream upstream, ILogger log)
    {
        _channel = channel;
        _running = new DnsForwarder(channel, upstream, DnsForwardingLimits.Default, log).RunAsync(_stop.Token);
    }

    /// <summary>The forwarding's end (for tests): completes when the agent ends it, the guest misbehaves, or on dispose.</summary>
    public Task<DnsForwardingEnd> Running => _running;

    /// <param name="ownNetwork">The relay runs in the container's own network namespace (where Docker's server is reachable).</param>
    /// <param name="upstream">Where queries go: null for Docker's embedded server, or the unit tests' fake.</param>
    /// <param name="networkChanged">
    /// The namespace changed after create (docker network connect): Docker may have started its server
    /// there and be naming it in resolv.conf now, so the guest listens whatever resolv.conf said at create.
    /// </param>
    /// <returns>The running forwarding, or null when the container does not use the embedded server or the guest cannot listen.</returns>
    public static async Task<RelayDnsForwarding?> StartAsync(IAgentDns agent, string id, Spec spec, bool ownNetwork, ILogger log,
        IDnsUpstream? upstream = null, bool networkChanged = false, CancellationToken cancellationToken = default)
    {
        if (!ownNetwork || !(networkChanged || ResolvConf.NamesEmbeddedServer(spec)))
            return null;
        IDnsQueryChannel channel;
        using var opening = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        opening.CancelAfter(OpenTimeout);
        try
        {
            channel = await agent.ForwardDnsAsync(opening.Token);
        }
        catch (Exception e) when (e is AgentException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            log.LogWarning("container {Id}: Docker's embedded DNS server ({Server}) is not reachable from the guest: {Error}", id, ResolvConf.EmbeddedServer, e.Message);
            return null;
        }
        log.LogDebug("container {Id}: the guest's 127.0.0.11:53 is forwarded to Docker's embedded DNS server", id);
        return new RelayDnsForwarding(channel, upstream ?? new EmbeddedDnsUpstream(), log);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        // the agent stops listening and ends the call, which ends the forwarder's reads; a guest that does
        // not end it is cut off (the forwarder's queries in flight are given up either way)
        await _channel.CompleteAsync();
        try
        {
            await _running.WaitAsync(StopTimeout);
        }
        catch (TimeoutException)
        {
            await _stop.CancelAsync();
            await _running;
        }
        await _channel.DisposeAsync();
    }
}
