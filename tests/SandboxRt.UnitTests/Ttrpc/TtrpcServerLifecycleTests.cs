using System.Net.Sockets;
using Google.Protobuf.WellKnownTypes;
using SandboxRt.Grpc;
using SandboxRt.Ttrpc;
using SandboxRt.Interop;
using SandboxRt.Ttrpc.Server;

namespace SandboxRt.UnitTests.Ttrpc;

[Trait("Tier", "unit")]
public sealed class TtrpcServerLifecycleTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Listen_creates_the_socket_with_mode_0600_and_StopAsync_removes_it()
    {
        var server = new TtrpcTestServer();
        await using var _ = server;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(server.SocketPath));

        await server.Server.StopAsync();
        await server.Server.StopAsync();

        Assert.False(File.Exists(server.SocketPath));
        await Assert.ThrowsAsync<IOException>(() => TtrpcClient.ConnectAsync(server.SocketPath));
    }

    [Fact]
    public async Task Client_Closed_completes_and_calls_fail_UNAVAILABLE_when_the_server_stops()
    {
        await using var server = new TtrpcTestServer();
        await using var client = await server.ConnectAsync();
        var inFlight = client.CallAsync(TtrpcTestServer.Service, "WaitForCancel", new Empty(), Empty.Parser);
        await server.Started.Task.WaitAsync(Patience);
        Assert.False(client.Closed.IsCompleted);

        await server.Server.StopAsync();

        await client.Closed.WaitAsync(Patience);
        Assert.Equal(StatusCode.Unavailable, (await Assert.ThrowsAsync<TtrpcException>(() => inFlight)).Code);
        var e = await Assert.ThrowsAsync<TtrpcException>(() => client.CallAsync(TtrpcTestServer.Service, "Echo", new StringValue(), StringValue.Parser));
        Assert.Equal(StatusCode.Unavailable, e.Code);
        // The handler was cancelled with the connection.
        await server.Cancelled.Task.WaitAsync(Patience);
    }

    [Fact]
    public async Task Client_Closed_completes_on_dispose()
    {
        await using var server = new TtrpcTestServer();
        var client = await server.ConnectAsync();

        await client.DisposeAsync();
        await client.DisposeAsync();

        Assert.True(client.Closed.IsCompleted);
    }

    [Fact]
    public async Task Listen_replaces_a_stale_socket_file()
    {
        using var directory = new TempDirectory();
        var path = Path.Combine(directory.Path, "stale.sock");
        // A socket file nobody listens on. .NET unlinks the path a socket bound to when it is disposed,
        // so the file is moved away from that name first.
        using (var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            var bound = Path.Combine(directory.Path, "bound.sock");
            dead.Bind(new UnixDomainSocketEndPoint(bound));
            File.Move(bound, path);
        }
        Assert.True(File.Exists(path));

        var server = TtrpcServer.Listen(path, new TtrpcServiceTable().Add("s", "Echo", StringValue.Parser, (r, _) => Task.FromResult(r)));
        await using var _ = server;
        await using var client = await TtrpcClient.ConnectAsync(path);

        Assert.Equal("live", (await client.CallAsync("s", "Echo", new StringValue { Value = "live" }, StringValue.Parser)).Value);
    }

    [Fact]
    public async Task Listen_refuses_a_socket_a_server_answers_on()
    {
        await using var server = new TtrpcTestServer();

        var e = Assert.Throws<IOException>(() => TtrpcServer.Listen(server.SocketPath, new TtrpcServiceTable()));

        Assert.Contains("already answering", e.Message);
        Assert.True(File.Exists(server.SocketPath));
    }

    [Fact]
    public async Task Peer_credentials_are_this_process()
    {
        using var directory = new TempDirectory();
        var path = Path.Combine(directory.Path, "cred.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await client.ConnectAsync(new UnixDomainSocketEndPoint(path));
        using var accepted = await listener.AcceptAsync();

        var peer = PeerCredentials.Read(accepted);

        Assert.Equal(PeerCredentials.Self, peer);
        Assert.True(peer.IsSameUserAs(PeerCredentials.Self));
        Assert.False(peer.IsSameUserAs(peer with { Uid = peer.Uid + 1 }));
    }
}
