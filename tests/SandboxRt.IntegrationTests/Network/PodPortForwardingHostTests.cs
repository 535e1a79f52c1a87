using System.Net;
using System.Net.Sockets;
using System.Text;
using SandboxRt.IntegrationTests.Support;
using SandboxRt.Interop.Netlink;
using SandboxRt.Runtime.Network.PortForwarding;

namespace SandboxRt.IntegrationTests.Network;

/// <summary>
/// kubectl port-forward's host end (PodPortForwarding) in a network namespace of the test's own, with the
/// guest's ports scripted: a connection to 127.0.0.1 on any port in the pod's namespace, as containerd
/// makes it, reaches the guest port it asked for (the redirect rule and SO_ORIGINAL_DST), and the answer
/// after the client's half-close comes back; a port the guest has nothing on resets the connection; the
/// disposal removes the rule and the listener.
/// </summary>
[Trait("Tier", "host")]
public sealed class PodPortForwardingHostTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);
    private static CancellationToken Test => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Loopback_connections_in_the_pod_namespace_reach_the_guest_port_they_asked_for_and_disposal_removes_the_rule()
    {
        TestEnvironment.RequireRoot();
        TestEnvironment.RequireCommand("iptables", "iptables");
        using var pair = await TestNetworkPair.CreateAsync();
        var guest = new AnsweringGuestPorts(8080);
        var forwarding = await PodPortForwarding.StartAsync(pair.PodNamespacePath, guest, "pod", TestLog.Instance);
        Assert.NotNull(forwarding);
        try
        {
            Assert.Contains($"--dport {forwarding.ListenerPort} -j REDIRECT --to-ports {forwarding.ListenerPort}", await NatOutputAsync(pair));

            Assert.Equal("answer to GET / on 8080", await ExchangeAsync(pair, 8080, "GET /"));
            Assert.Equal(8080, await guest.Asked.Reader.ReadAsync(Test).AsTask().WaitAsync(Hang, Test));

            // nothing on 9999 in the guest: the client's connection is reset, not closed as if answered
            var reset = await Assert.ThrowsAsync<SocketException>(() => ExchangeAsync(pair, 9999, "GET /"));
            Assert.Equal(SocketError.ConnectionReset, reset.SocketErrorCode);
            Assert.Equal(9999, await guest.Asked.Reader.ReadAsync(Test).AsTask().WaitAsync(Hang, Test));
        }
        finally
        {
            await forwarding.DisposeAsync();
        }
        Assert.DoesNotContain("REDIRECT", await NatOutputAsync(pair));
        var refused = await Assert.ThrowsAsync<SocketException>(() => ExchangeAsync(pair, 8080, "GET /"));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    private static async Task<string> NatOutputAsync(TestNetworkPair pair) =>
        (await pair.InPodAsync("iptables", "-w", "5", "-t", "nat", "-S", "OUTPUT")).Ok().Stdout;

    /// <summary>Connects to 127.0.0.1:<paramref name="port"/> from inside the pod's namespace, sends, half-closes and reads to the end.</summary>
    private static async Task<string> ExchangeAsync(TestNetworkPair pair, int port, string request)
    {
        using var client = NetworkNamespace.RunIn(pair.PodNamespacePath, () => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), Test).AsTask().WaitAsync(Hang, Test);
        await client.SendAsync(Encoding.ASCII.GetBytes(request), Test);
        client.Shutdown(SocketShutdown.Send);
        var answer = new MemoryStream();
        var buffer = new byte[4096];
        for (int n; (n = await client.ReceiveAsync(buffer, Test).AsTask().WaitAsync(Hang, Test)) > 0;)
            answer.Write(buffer, 0, n);
        return Encoding.ASCII.GetString(answer.ToArray());
    }
}
