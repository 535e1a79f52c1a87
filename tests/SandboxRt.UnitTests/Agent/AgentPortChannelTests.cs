using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Google.Protobuf;
using SandboxRt.Agent.Protocol;
using SandboxRt.Grpc.Server;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Channels;

namespace SandboxRt.UnitTests.Agent;

/// <summary>
/// The host's end of ForwardPort (AgentClient.ForwardPortAsync) against in-process agents on a Unix
/// socket: one that connects (the port comes first, then the data; headers before any answer; the host's
/// half-close arrives and the answer after it still comes back), one with nothing on the port (Unavailable
/// before the headers), and one from before ForwardPort.
/// </summary>
[Trait("Tier", "unit")]
public sealed class AgentPortChannelTests : IAsyncLifetime
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _dir = new();
    private readonly Channel<string> _seen = Channel.CreateUnbounded<string>();
    private readonly List<GrpcKestrelServer> _servers = [];

    private string Socket(string name) => Path.Combine(_dir.Path, name + ".sock");
    private static CancellationToken Test => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var connecting = new GrpcServiceTable().AddDuplexStreaming(AgentMethods.ForwardPort, async (requests, responses, call) =>
        {
            var first = await requests.ReadAsync(call.CancellationToken);
            _seen.Writer.TryWrite($"port {first!.Port} data {first.Data.Length}");
            await call.WriteResponseHeadersAsync(new Dictionary<string, string> { [AgentMethods.PortConnectedHeader] = "1" }, call.CancellationToken);
            var received = new StringBuilder();
            while (await requests.ReadAsync(call.CancellationToken) is { } next)
                received.Append(next.Data.ToStringUtf8());
            _seen.Writer.TryWrite("half-closed after " + received);
            await responses.WriteAsync(new PortData { Data = ByteString.CopyFromUtf8("answer to " + received) }, call.CancellationToken);
        });
        var refusing = new GrpcServiceTable().AddDuplexStreaming(AgentMethods.ForwardPort, (_, _, _) =>
            throw new InvalidOperationException("ForwardPort: nothing accepts connections on port 8080 in the guest: 127.0.0.1:8080: ConnectionRefused"));
        Func<Exception, (SandboxRt.Grpc.StatusCode, string)> map = e => (SandboxRt.Grpc.StatusCode.Unavailable, e.Message);
        foreach (var (name, table) in new[] { ("connecting", connecting), ("refusing", refusing), ("old", new GrpcServiceTable().AddUnary(AgentMethods.Version, (_, _) => Task.FromResult(new VersionResponse()))) })
            _servers.Add(await GrpcKestrelServer.StartAsync(new UnixDomainSocketEndPoint(Socket(name)), new GrpcHttpApplication(table) { MapException = map }));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
            await server.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task The_port_goes_first_data_follows_and_the_answer_comes_back_after_the_half_close()
    {
        using var client = new AgentClient(new UnixSocketConnector(Socket("connecting")));
        var channel = await client.ForwardPortAsync(8080, Test).WaitAsync(Hang, Test);
        Assert.Equal("port 8080 data 0", await _seen.Reader.ReadAsync(Test).AsTask().WaitAsync(Hang, Test));
        await channel.WriteAsync(Encoding.UTF8.GetBytes("GET "), Test);
        await channel.WriteAsync(Encoding.UTF8.GetBytes("/"), Test);
        await channel.CompleteAsync();
        Assert.Equal("half-closed after GET /", await _seen.Reader.ReadAsync(Test).AsTask().WaitAsync(Hang, Test));
        var answer = await channel.ReadAsync(Test).AsTask().WaitAsync(Hang, Test);
        Assert.Equal("answer to GET /", Encoding.UTF8.GetString(answer!.Value.Span));
        Assert.Null(await channel.ReadAsync(Test).AsTask().WaitAsync(Hang, Test)); // the agent ended the call
        await channel.DisposeAsync();
        await channel.DisposeAsync(); // idempotent
    }

    [Fact]
    public async Task More_than_one_message_of_data_in_one_write_is_refused_before_it_leaves()
    {
        using var client = new AgentClient(new UnixSocketConnector(Socket("connecting")));
        await using var channel = await client.ForwardPortAsync(8080, Test).WaitAsync(Hang, Test);
        await Assert.ThrowsAsync<ArgumentException>(() => channel.WriteAsync(new byte[IPortChannel.MaxWrite + 1], Test));
    }

    [Fact]
    public async Task A_port_nothing_listens_on_fails_the_opening_as_unavailable_with_the_agents_reason()
    {
        using var client = new AgentClient(new UnixSocketConnector(Socket("refusing")));
        var e = await Assert.ThrowsAsync<AgentException>(() => client.ForwardPortAsync(8080, Test).WaitAsync(Hang, Test));
        Assert.Equal(AgentErrorKind.Unavailable, e.Kind);
        Assert.Contains("127.0.0.1:8080: ConnectionRefused", e.Message);
    }

    [Fact]
    public async Task An_agent_from_before_forward_port_answers_unimplemented()
    {
        using var client = new AgentClient(new UnixSocketConnector(Socket("old")));
        var e = await Assert.ThrowsAsync<AgentException>(() => client.ForwardPortAsync(8080, Test).WaitAsync(Hang, Test));
        Assert.Equal(AgentErrorKind.Unimplemented, e.Kind);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65536)]
    public async Task A_port_outside_1_to_65535_is_refused_before_any_call(int port)
    {
        using var client = new AgentClient(new UnixSocketConnector(Socket("connecting")));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.ForwardPortAsync(port, Test));
    }
}
