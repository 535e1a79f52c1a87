using System.Net.Sockets;
using SandboxRt.Agent.Protocol;
using SandboxRt.Grpc.Server;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Channels;

namespace SandboxRt.UnitTests.Agent;

/// <summary>
/// The host's stdin stream (AgentClient.OpenStdin) against in-process agents on a Unix socket: one that
/// serves StreamStdin as the agent does (headers once the process is found, data after them), one that
/// only knows Kata's unary WriteStdin/CloseStdin (a guest image from before StreamStdin), and a process
/// the agent does not know.
/// </summary>
[Trait("Tier", "unit")]
public sealed class AgentStdinStreamTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly List<string> _calls = [];
    private readonly MemoryStream _received = new();
    private GrpcKestrelServer? _streaming;
    private GrpcKestrelServer? _unaryOnly;

    private string StreamingSocket => Path.Combine(_dir.Path, "streaming.sock");
    private string UnaryOnlySocket => Path.Combine(_dir.Path, "unary.sock");

    public async ValueTask InitializeAsync()
    {
        var streaming = new GrpcServiceTable().AddClientStreaming(AgentMethods.StreamStdin, async (reader, call) =>
        {
            var first = await reader.ReadAsync(call.CancellationToken) ?? throw new ArgumentException("no first message");
            if (first.ContainerId != "c1")
                throw new KeyNotFoundException($"container {first.ContainerId} not found");
            await call.WriteResponseHeadersAsync(new Dictionary<string, string> { [AgentMethods.StdinAcceptedHeader] = "1" }, call.CancellationToken);
            Record($"open {first.ContainerId}/{first.ExecId} close={first.CloseAtEnd} data={first.Data.Length}");
            ulong n = 0;
            while (await reader.ReadAsync(call.CancellationToken) is { } chunk)
            {
                lock (_received)
                    _received.Write(chunk.Data.Span);
                n += (ulong)chunk.Data.Length;
            }
            Record("end");
            return new StreamStdinResponse { Written = n };
        });
        var unaryOnly = new GrpcServiceTable()
            .AddUnary(AgentMethods.WriteStdin, (r, _) =>
            {
                lock (_received)
                    _received.Write(r.Data.Span);
                Record($"WriteStdin {r.ContainerId}/{r.ExecId} {r.Data.Length}");
                return Task.FromResult(new WriteStdinResponse { Written = (uint)r.Data.Length });
            })
            .AddUnary(AgentMethods.CloseStdin, (r, _) =>
            {
                Record($"CloseStdin {r.ContainerId}/{r.ExecId}");
                return Task.FromResult(new Empty());
            });
        Func<Exception, (SandboxRt.Grpc.StatusCode, string)> map = e => e is KeyNotFoundException ? (SandboxRt.Grpc.StatusCode.NotFound, e.Message) : (SandboxRt.Grpc.StatusCode.Internal, e.Message);
        _streaming = await GrpcKestrelServer.StartAsync(new UnixDomainSocketEndPoint(StreamingSocket), new GrpcHttpApplication(streaming) { MapException = map });
        _unaryOnly = await GrpcKestrelServer.StartAsync(new UnixDomainSocketEndPoint(UnaryOnlySocket), new GrpcHttpApplication(unaryOnly) { MapException = map });
    }

    [Fact]
    public async Task Stdin_goes_as_one_stream_and_the_agent_took_every_byte()
    {
        using var client = new AgentClient(new UnixSocketConnector(StreamingSocket));
        var data = RandomBytes(3 * 1024 * 1024 + 17);
        await using var stdin = client.OpenStdin("c1", "e1", closeAtEnd: true, cancellationToken: TestContext.Current.CancellationToken);
        await stdin.WriteAsync(data.AsMemory(0, 1000), TestContext.Current.CancellationToken);
        await stdin.WriteAsync(data.AsMemory(1000), TestContext.Current.CancellationToken);
        Assert.Equal(data.Length, await stdin.CompleteAsync(TestContext.Current.CancellationToken));
        Assert.Equal(["open c1/e1 close=True data=0", "end"], Calls);
        Assert.Equal(data, Received);
    }

    [Fact]
    public async Task An_agent_without_stream_stdin_gets_unary_writes_and_loses_nothing()
    {
        using var client = new AgentClient(new UnixSocketConnector(UnaryOnlySocket));
        var data = RandomBytes(600 * 1024);
        await using var stdin = client.OpenStdin("c1", "e1", closeAtEnd: true, cancellationToken: TestContext.Current.CancellationToken);
        await stdin.WriteAsync(data, TestContext.Current.CancellationToken);
        Assert.Equal(data.Length, await stdin.CompleteAsync(TestContext.Current.CancellationToken));
        Assert.Equal(data, Received);
        Assert.Equal(["WriteStdin c1/e1 262144", "WriteStdin c1/e1 262144", "WriteStdin c1/e1 90112", "CloseStdin c1/e1"], Calls);
    }

    [Fact]
    public async Task An_unknown_process_fails_before_any_data_is_sent()
    {
        using var client = new AgentClient(new UnixSocketConnector(StreamingSocket));
        await using var stdin = client.OpenStdin("nope", "", closeAtEnd: true, cancellationToken: TestContext.Current.CancellationToken);
        var e = await Assert.ThrowsAsync<AgentException>(() => stdin.WriteAsync(new byte[10], TestContext.Current.CancellationToken));
        Assert.Contains("container nope not found", e.Message);
        Assert.Empty(Calls);
    }

    [Fact]
    public async Task Without_completion_the_stream_is_cancelled_and_stdin_is_not_closed()
    {
        using var client = new AgentClient(new UnixSocketConnector(UnaryOnlySocket));
        await using (var stdin = client.OpenStdin("c1", "e1", closeAtEnd: true, cancellationToken: TestContext.Current.CancellationToken))
            await stdin.WriteAsync(new byte[5], TestContext.Current.CancellationToken);
        Assert.Equal(["WriteStdin c1/e1 5"], Calls);
    }

    private string[] Calls
    {
        get
        {
            lock (_calls)
                return _calls.ToArray();
        }
    }

    private byte[] Received
    {
        get
        {
            lock (_received)
                return _received.ToArray();
        }
    }

    private void Record(string call)
    {
        lock (_calls)
            _calls.Add(call);
    }

    private static byte[] RandomBytes(int count)
    {
        var data = new byte[count];
        new Random(18).NextBytes(data);
        return data;
    }

    public async ValueTask DisposeAsync()
    {
        if (_streaming is not null)
            await _streaming.DisposeAsync();
        if (_unaryOnly is not null)
            await _unaryOnly.DisposeAsync();
        _dir.Dispose();
    }
}
