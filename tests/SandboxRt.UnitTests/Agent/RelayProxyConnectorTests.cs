using System.Net.Sockets;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Channels;
using SandboxRt.Runtime.State;

namespace SandboxRt.UnitTests.Agent;

/// <summary>
/// A CLI call through a relay's proxy whose relay is gone fails at once with an error naming the
/// container, instead of retrying a refused connection for the agent client's whole retry window.
/// The tokens below are long: a connector that retried would end cancelled, not with RelayGoneException.
/// </summary>
public sealed class RelayProxyConnectorTests
{
    [Fact]
    public async Task A_stale_proxy_socket_of_a_gone_relay_fails_at_once_naming_the_container()
    {
        using var dir = new TempDirectory();
        var proxy = StaleSocket(dir.Path);
        var gone = new ProcessIdentity(Environment.ProcessId, StartTime: 1); // this pid, another start time: not this process
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var e = await Assert.ThrowsAsync<RelayGoneException>(async () => await new RelayProxyConnector("c1", proxy, gone).ConnectAsync(cancel.Token));
        Assert.Contains("container c1", e.Message);
        Assert.Contains($"pid {Environment.ProcessId}", e.Message);
    }

    [Fact]
    public async Task An_agent_call_through_a_gone_relay_is_not_retried()
    {
        using var dir = new TempDirectory();
        var proxy = StaleSocket(dir.Path);
        using var agent = new AgentClient(new RelayProxyConnector("c2", proxy, new ProcessIdentity(Environment.ProcessId, StartTime: 1)));
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var e = await Assert.ThrowsAsync<RelayGoneException>(() => agent.CheckAsync(cancellationToken: cancel.Token));
        Assert.Equal("c2", e.ContainerId);
    }

    [Fact]
    public async Task A_live_relay_is_connected_to()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "proxy.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        var self = ProcessIdentity.Of(Environment.ProcessId)!;
        await using var stream = await new RelayProxyConnector("c3", path, self).ConnectAsync(CancellationToken.None);
        using var accepted = await listener.AcceptAsync();
        Assert.True(accepted.Connected);
    }

    /// <summary>A socket file nothing listens on any more: what a SIGKILLed relay leaves (connect: ECONNREFUSED).</summary>
    private static string StaleSocket(string directory)
    {
        var path = Path.Combine(directory, "proxy.sock");
        using (var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            s.Bind(new UnixDomainSocketEndPoint(path));
            s.Listen();
        }
        return path;
    }
}
