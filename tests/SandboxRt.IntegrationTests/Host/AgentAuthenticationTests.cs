using System.Net.Sockets;
using SandboxRt.Agent.Protocol;
using RpcException = Grpc.Core.RpcException;
using StatusCode = Grpc.Core.StatusCode;
using SandboxRt.IntegrationTests.Support;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Channels;

namespace SandboxRt.IntegrationTests.Host;

/// <summary>
/// The real agent binary (sandboxrt-agent serve, started with a token) refuses every connection that does
/// not begin with its token: the peer sees the connection closed and not one byte of HTTP/2.
/// </summary>
[Trait("Tier", "host")]
public sealed class AgentAuthenticationTests(AgentOnHost agent) : IClassFixture<AgentOnHost>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60); // fails a hung test; never waited out when it passes

    /// <summary>Connects, sends <paramref name="bytes"/>, and reads until the agent closes: how many bytes it sent.</summary>
    private async Task<int> BytesBeforeCloseAsync(byte[] bytes)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        using var limit = new CancellationTokenSource(Limit);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(agent.SocketPath), limit.Token);
        if (bytes.Length > 0)
            await socket.SendAsync(bytes, SocketFlags.None, limit.Token);
        int total = 0;
        var buffer = new byte[4096];
        while (true)
        {
            int n;
            try
            {
                n = await socket.ReceiveAsync(buffer, SocketFlags.None, limit.Token);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                return total;
            }
            if (n == 0)
                return total;
            total += n;
        }
    }

    private static readonly byte[] Http2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray()
        .Concat(new byte[] { 0, 0, 0, 4, 0, 0, 0, 0, 0 }).ToArray(); // and an empty SETTINGS frame

    [Fact]
    public async Task A_gRPC_client_without_the_token_is_refused()
    {
        agent.RequireRunning();
        using var channel = new RawGrpcChannel(ct => new UnixSocketConnector(agent.SocketPath).ConnectAsync(ct));
        var e = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(AgentMethods.Version, new VersionRequest(), new RawCallOptions(TimeSpan.FromSeconds(30))));
        TestContext.Current.TestOutputHelper?.WriteLine($"status {e.Status}");
        // The agent sends nothing and closes: the status is the client library's own, made from how the
        // close reached it ("Error starting gRPC call."): Unavailable when it saw the response end, and
        // Internal once in about 50 CI runs (ci47; its exception was not kept: the status is printed now),
        // an exception chain without an IOException, likely the close meeting its writes. Never a status
        // the agent sent: the raw check below sees not one byte from it.
        Assert.Contains(e.StatusCode, new[] { StatusCode.Unavailable, StatusCode.Internal });
        Assert.StartsWith("Error starting gRPC call.", e.Status.Detail);
        Assert.Equal(0, await BytesBeforeCloseAsync(Http2Preface));
    }

    [Fact]
    public async Task A_wrong_token_is_closed_without_a_byte_of_HTTP2()
    {
        agent.RequireRunning();
        var wrong = new byte[AgentAuthPreamble.TokenLength];
        Assert.Equal(0, await BytesBeforeCloseAsync([.. AgentAuthPreamble.Build(wrong), .. Http2Preface]));
    }

    [Fact]
    public async Task A_caller_that_sends_nothing_is_closed_at_the_deadline()
    {
        agent.RequireRunning();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(0, await BytesBeforeCloseAsync([.. AgentAuthPreamble.Magic]));
        Assert.True(watch.Elapsed >= AgentAuthPreamble.DefaultDeadline - TimeSpan.FromSeconds(1), $"closed after {watch.Elapsed}, before the deadline");
    }

    [Fact]
    public async Task The_right_token_is_served_and_the_agent_still_serves_after_refusals()
    {
        agent.RequireRunning();
        Assert.Equal(0, await BytesBeforeCloseAsync(Http2Preface));
        using var client = new AgentClient(agent.Connector);
        Assert.True(await client.CheckAsync());
        // the token as the runtime keeps it: the 0400 file in the state directory
        Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(agent.Token.FilePath));
        using var again = new AgentClient(new AuthenticatingConnector(new UnixSocketConnector(agent.SocketPath), AgentToken.Load(Path.GetDirectoryName(agent.Token.FilePath)!)));
        Assert.Equal("sandboxrt.agent.v1", (await again.VersionAsync()).ApiVersion);
    }
}
