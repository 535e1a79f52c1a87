using Microsoft.Extensions.Logging;
using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Network.EmbeddedDns;
using SandboxRt.Runtime.Relay;
using SandboxRt.UnitTests.Fakes;

namespace SandboxRt.UnitTests.Relay;

/// <summary>
/// When the relay forwards the guest's DNS: only for a container in the relay's own network namespace
/// whose resolv.conf names Docker's embedded server; a guest that cannot listen leaves the container
/// without it and says so; stopping ends the agent's call.
/// </summary>
[Trait("Tier", "unit")]
public sealed class RelayDnsForwardingTests : IDisposable
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _dir = new();
    private readonly FakeAgent _agent = new();
    private readonly FakeDnsUpstream _upstream = new();
    private readonly RecordingLogger _log = new();

    public void Dispose() => _dir.Dispose();

    private static CancellationToken Test => TestContext.Current.CancellationToken;

    private Spec SpecNaming(string server) =>
        new() { Mounts = [new Mount { Destination = "/etc/resolv.conf", Source = _dir.File("resolv.conf", $"nameserver {server}\noptions ndots:0\n"), Type = "bind" }] };

    [Fact]
    public async Task The_guests_queries_reach_the_upstream_until_the_forwarding_stops()
    {
        var forwarding = await RelayDnsForwarding.StartAsync(_agent, "c1", SpecNaming("127.0.0.11"), ownNetwork: true, _log, _upstream, cancellationToken: Test);
        Assert.NotNull(forwarding);
        Assert.Contains("ForwardDns", _agent.Calls);

        _agent.DnsChannel.Query(3, new byte[20]);
        var answer = await _agent.DnsChannel.Answers.ReadAsync(Test);
        Assert.Equal(3u, answer.Id);
        Assert.Equal(26, answer.Message.Length);

        await forwarding.DisposeAsync();
        Assert.True(_agent.DnsChannel.Completed); // the agent was asked to end the call, and did
        Assert.True(_agent.DnsChannel.Disposed);
        Assert.Equal(DnsForwardingEnd.AgentEnded, await forwarding.Running.WaitAsync(Hang, Test));
        await forwarding.DisposeAsync(); // idempotent
    }

    [Fact]
    public async Task Nothing_changes_without_the_embedded_server_or_the_relays_own_namespace()
    {
        Assert.Null(await RelayDnsForwarding.StartAsync(_agent, "c1", SpecNaming("10.1.2.3"), ownNetwork: true, _log, _upstream, cancellationToken: Test));
        Assert.Null(await RelayDnsForwarding.StartAsync(_agent, "c1", SpecNaming("127.0.0.11"), ownNetwork: false, _log, _upstream, cancellationToken: Test));
        Assert.Null(await RelayDnsForwarding.StartAsync(_agent, "c1", new Spec(), ownNetwork: true, _log, _upstream, cancellationToken: Test));
        Assert.DoesNotContain("ForwardDns", _agent.Calls);
    }

    [Fact]
    public async Task After_a_network_change_the_guest_listens_whatever_resolv_conf_said_at_create_but_only_in_the_relays_own_namespace()
    {
        // docker network connect to a user-defined network: resolv.conf names 127.0.0.11 from then on
        var forwarding = await RelayDnsForwarding.StartAsync(_agent, "c1", SpecNaming("10.1.2.3"), ownNetwork: true, _log, _upstream, networkChanged: true, cancellationToken: Test);
        Assert.NotNull(forwarding);
        Assert.Contains("ForwardDns", _agent.Calls);
        await forwarding.DisposeAsync();
        Assert.Null(await RelayDnsForwarding.StartAsync(_agent, "c2", SpecNaming("10.1.2.3"), ownNetwork: false, _log, _upstream, networkChanged: true, cancellationToken: Test));
    }

    [Fact]
    public async Task A_guest_that_cannot_listen_is_logged_and_the_container_goes_on_without()
    {
        _agent.Failures["ForwardDns"] = new AgentException(AgentErrorKind.Unimplemented, "ForwardDns", "unknown method ForwardDns");
        Assert.Null(await RelayDnsForwarding.StartAsync(_agent, "c1", SpecNaming("127.0.0.11"), ownNetwork: true, _log, _upstream, cancellationToken: Test));
        Assert.Contains("container c1: Docker's embedded DNS server (127.0.0.11) is not reachable from the guest: unknown method ForwardDns", _log.At(LogLevel.Warning));
    }
}
