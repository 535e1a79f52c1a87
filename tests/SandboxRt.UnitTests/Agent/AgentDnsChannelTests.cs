using System.Net.Sockets;
using System.Threading.Channels;
using Google.Protobuf;
using SandboxRt.Agent.Protocol;
using SandboxRt.Grpc.Server;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Channels;

namespace SandboxRt.UnitTests.Agent;

/// <summary>
/// The host's end of ForwardDns (AgentClient.ForwardDnsAsync) against in-process agents on a Unix socket:
/// one that listens (headers first, then its queries; the host's answers and half-close arrive), one whose
/// bind fails before the headers, and one from before ForwardDns.
/// </summary>
[Trait("Tier", "unit")]
public sealed class AgentDnsChannelTests : IAsyncLifetime
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _dir = new();
    private readonly Channel<string> _seen = Channel.CreateUnbounded<string>();
    private readonly List<GrpcKestrelServer> _servers = [];

    private string Socket(string name) => Path.Combine(_dir.Path, name + ".sock");
    private static CancellationToken Test => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var listening = new GrpcServiceTable().AddDuplexStreaming(AgentMethods.ForwardDns, async (answers, queries, call) =>
        {
            await call.WriteResponseHeadersAsync(new Dictionary<string, string> { [AgentMethods.DnsListeningHeader] = "1" }, call.CancellationToken);
            await queries.WriteAsync(new DnsQuery { Id = 41, Message = ByteString.CopyFrom(1, 2, 3) }, call.CancellationToken);
            await queries.WriteAsync(new DnsQuery { Id = 42, Message = ByteString.CopyFrom(4) }, call.CancellationToken);
            while (await answers.ReadAsync(call.CancellationToken) is { } answer)
                _seen.Writer.TryWrite($"answer {answer.Id} {Convert.ToHexString(answer.Message.Span)}");
            _seen.Writer.TryWrite("half-closed");
        });
        var refusing = new GrpcServiceTable().AddDuplexStreaming(AgentMethods.ForwardDns, (_, _, _) =>
            throw new InvalidOperationException("ForwardDns: bind(127.0.0.11:53, UDP): AddressAlreadyInUse"));
        Func<Exception, (SandboxRt.Grpc.StatusCode, string)> map = e => (SandboxRt.Grpc.StatusCode.FailedPrecondition, e.Message);
        foreach (var (name, table) in new[] { ("listening", listening), ("refusing", refusing), ("old", new GrpcServiceTable().AddUnary(AgentMethods.Version, (_, _) => Task.FromResult(new VersionResponse()))) })
            _servers.Add(await GrpcKestrelServer.StartAsync(new UnixDomainSocketEndPoint(Socket(name)), new GrpcHttpApplication(table) { MapException = map }));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
            await server.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Queries_arrive_as_domain_records_answers_reach_the_agent_and_completing_half_closes()
    {
        using var client = new AgentClient(new UnixSocketConnector(Socket("listening")));
        var channel = await client.ForwardDnsAsync(Test).WaitAsync(Hang, Test);
        var first = await channel.ReadAsync(Test);
        var second = await channel.ReadAsync(Test);
        Assert.Equal((41u, "010203"), (first!.Id, Convert.ToHexString(first.Message.Span)));
        Assert.Equal((42u, "04"), (second!.Id, Convert.ToHexString(second.Message.Span)));

        await channel.AnswerAsync(42, new byte[] { 0xAB }, Test);
        Assert.Equal("answer 42 AB", await _seen.Reader.ReadAsync(Test).AsTask().WaitAsync(Hang, Test));
        await channel.CompleteAsync();
        Assert.Equal("half-closed", await _seen.Reader.ReadAsync(Test).AsTask().WaitAsync(Hang, Test));
        Assert.Null(await channel.ReadAsync(Test).AsTask().WaitAsync(Hang, Test)); // the agent ended the call
        await channel.DisposeAsync();
        await channel.DisposeAsync(); // idempotent
    }

    [Fact]
    public async Task A_listener_the_agent_cannot_bind_fails_the_opening_with_the_agents_reason()
    {
        using var client = new AgentClient(new UnixSocketConnector(Socket("refusing")));
        var e = await Assert.ThrowsAsync<AgentException>(() => client.ForwardDnsAsync(Test).WaitAsync(Hang, Test));
        Assert.Equal(AgentErrorKind.FailedPrecondition, e.Kind);
        Assert.Contains("bind(127.0.0.11:53, UDP): AddressAlreadyInUse", e.Message);
    }

    [Fact]
    public async Task An_agent_from_before_forward_dns_answers_unimplemented()
    {
        using var client = new AgentClient(new UnixSocketConnector(Socket("old")));
        var e = await Assert.ThrowsAsync<AgentException>(() => client.ForwardDnsAsync(Test).WaitAsync(Hang, Test));
        Assert.Equal(AgentErrorKind.Unimplemented, e.Kind);
    }
}
