using System.Net;
using System.Net.Sockets;
using System.Text;
using SandboxRt.Agent.Network;

namespace SandboxRt.Agent.UnitTests.Network;

/// <summary>
/// The guest's end of a forwarded port (ForwardPort), against a listener of the test's on the loopback: it
/// connects to the first address that accepts, bytes go both ways, its half-close reaches the server,
/// which still answers; a port nothing listens on fails naming every address tried.
/// </summary>
[Trait("Tier", "unit")]
public sealed class GuestPortConnectionTests
{
    private static CancellationToken Test => TestContext.Current.CancellationToken;

    [Fact]
    public async Task It_connects_to_the_first_address_that_accepts_carries_bytes_and_passes_on_its_half_close()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var server = Task.Run(async () =>
        {
            using var peer = await listener.AcceptAsync(Test);
            var received = new MemoryStream();
            var buffer = new byte[4096];
            for (int n; (n = await peer.ReceiveAsync(buffer, Test)) > 0;)
                received.Write(buffer, 0, n);
            await peer.SendAsync(Encoding.ASCII.GetBytes("answer to " + Encoding.ASCII.GetString(received.ToArray())), Test);
        }, Test);

        // ::1 on a port nobody has there first: the connection falls back to 127.0.0.1
        using var connection = await GuestPortConnection.ConnectAsync(port, Test, [IPAddress.IPv6Loopback, IPAddress.Loopback]);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, port), connection.RemoteEndPoint);
        await connection.SendAsync(Encoding.ASCII.GetBytes("question"), Test);
        connection.ShutdownSend();
        var answer = new MemoryStream();
        while ((await connection.ReceiveAsync(Test)) is { IsEmpty: false } data)
            answer.Write(data.Span);
        await server;
        Assert.Equal("answer to question", Encoding.ASCII.GetString(answer.ToArray()));
    }

    [Fact]
    public async Task A_port_nothing_listens_on_fails_naming_every_address_tried()
    {
        using var bound = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        bound.Bind(new IPEndPoint(IPAddress.Loopback, 0)); // bound, never listening: connects are refused
        var port = ((IPEndPoint)bound.LocalEndPoint!).Port;
        var e = await Assert.ThrowsAsync<PortNotReachableException>(() => GuestPortConnection.ConnectAsync(port, Test));
        Assert.Contains($"port {port}", e.Message);
        Assert.Contains($"127.0.0.1:{port}: ConnectionRefused", e.Message);
        Assert.Contains($"[::1]:{port}:", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65536)]
    public async Task A_port_outside_1_to_65535_is_refused(int port) =>
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => GuestPortConnection.ConnectAsync(port, Test));
}
