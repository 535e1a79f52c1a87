using System.Collections.Concurrent;
using Google.Protobuf.WellKnownTypes;
using SandboxRt.Grpc;
using SandboxRt.Ttrpc;

namespace SandboxRt.UnitTests.Ttrpc;

/// <summary>Calls from <see cref="TtrpcClient"/> to <see cref="TtrpcServer"/> over a real Unix socket.</summary>
[Trait("Tier", "unit")]
public sealed class TtrpcCallTests : IAsyncLifetime
{
    private const string Service = TtrpcTestServer.Service;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    private readonly TtrpcTestServer _server = new();
    private TtrpcClient _client = null!;

    public async ValueTask InitializeAsync() => _client = await _server.ConnectAsync();

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Unary_call_round_trips()
    {
        var reply = await _client.CallAsync(Service, "Echo", new StringValue { Value = "hello" }, StringValue.Parser);

        Assert.Equal("hello", reply.Value);
    }

    [Fact]
    public async Task Connects_by_plain_path_too()
    {
        await using var client = await TtrpcClient.ConnectAsync(_server.SocketPath);

        Assert.Equal("x", (await client.CallAsync(Service, "Echo", new StringValue { Value = "x" }, StringValue.Parser)).Value);
    }

    [Fact]
    public async Task Metadata_reaches_the_handler()
    {
        var metadata = new TtrpcMetadata();
        metadata.Add(TtrpcMetadata.NamespaceKey, "k8s.io");
        metadata.Add("Multi", "a");
        metadata.Add("multi", "b");

        var reply = await _client.CallAsync(Service, "Metadata", new Empty(), StringValue.Parser, new TtrpcCallOptions(Metadata: metadata));

        Assert.Equal("k8s.io|a,b", reply.Value);
    }

    [Fact]
    public async Task A_TtrpcException_from_the_handler_keeps_its_code_and_message()
    {
        var e = await Assert.ThrowsAsync<TtrpcException>(() =>
            _client.CallAsync(Service, "Fail", new StringValue { Value = "container c1 not found" }, StringValue.Parser));

        Assert.Equal(StatusCode.NotFound, e.Code);
        Assert.Equal("container c1 not found", e.Message);
    }

    [Fact]
    public async Task Any_other_exception_from_the_handler_is_UNKNOWN_with_its_message()
    {
        var e = await Assert.ThrowsAsync<TtrpcException>(() =>
            _client.CallAsync(Service, "Crash", new StringValue { Value = "boom" }, StringValue.Parser));

        Assert.Equal(StatusCode.Unknown, e.Code);
        Assert.Equal("boom", e.Message);
    }

    [Theory]
    [InlineData(Service, "Nope", "method Nope")]
    [InlineData("no.Such", "Echo", "service no.Such")]
    public async Task Unknown_methods_are_UNIMPLEMENTED_with_Go_texts(string service, string method, string message)
    {
        var e = await Assert.ThrowsAsync<TtrpcException>(() => _client.CallAsync(service, method, new Empty(), Empty.Parser));

        Assert.Equal(StatusCode.Unimplemented, e.Code);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public async Task Fifty_concurrent_calls_answered_in_reverse_each_get_their_own_response()
    {
        const int Calls = 50;
        var waiting = new ConcurrentDictionary<int, TaskCompletionSource>();
        var allArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answered = new ConcurrentQueue<int>();
        _server.Gated = async (request, _) =>
        {
            int i = int.Parse(request.Value);
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiting[i] = gate;
            if (waiting.Count == Calls)
                allArrived.TrySetResult();
            await gate.Task;
            answered.Enqueue(i);
            return new StringValue { Value = $"reply {i}" };
        };

        var calls = Enumerable.Range(0, Calls)
            .Select(i => _client.CallAsync(Service, "Gated", new StringValue { Value = $"{i}" }, StringValue.Parser))
            .ToArray();
        // All fifty handlers are running at once on the one connection...
        await allArrived.Task.WaitAsync(Patience);
        // ...and finish last-first, each response on the wire before the next handler is released.
        for (int i = Calls - 1; i >= 0; i--)
        {
            waiting[i].SetResult();
            Assert.Equal($"reply {i}", (await calls[i].WaitAsync(Patience)).Value);
        }

        Assert.Equal(Enumerable.Range(0, Calls).Reverse(), answered);
    }

    [Fact]
    public async Task Timeout_cancels_the_handler_and_the_client_gets_DEADLINE_EXCEEDED()
    {
        var timeout = TimeSpan.FromMilliseconds(200);

        var e = await Assert.ThrowsAsync<TtrpcException>(() =>
            _client.CallAsync(Service, "WaitForCancel", new Empty(), Empty.Parser, new TtrpcCallOptions(Timeout: timeout)));

        Assert.Equal(StatusCode.DeadlineExceeded, e.Code);
        var context = await _server.Cancelled.Task.WaitAsync(Patience);
        Assert.Equal(timeout, context.Timeout);
        // The connection carries on.
        Assert.Equal("after", (await _client.CallAsync(Service, "Echo", new StringValue { Value = "after" }, StringValue.Parser)).Value);
    }

    [Fact]
    public async Task An_oversized_request_is_refused_locally_and_the_connection_stays_usable()
    {
        var huge = new StringValue { Value = new string('x', 4 << 20) };

        var e = await Assert.ThrowsAsync<TtrpcException>(() => _client.CallAsync(Service, "Echo", huge, StringValue.Parser));

        Assert.Equal(StatusCode.ResourceExhausted, e.Code);
        Assert.Contains("exceed maximum message size of 4194304", e.Message);
        Assert.Equal("small", (await _client.CallAsync(Service, "Echo", new StringValue { Value = "small" }, StringValue.Parser)).Value);
    }

    [Fact]
    public async Task Caller_cancellation_throws_OperationCanceledException()
    {
        using var cancel = new CancellationTokenSource();
        var call = _client.CallAsync(Service, "WaitForCancel", new Empty(), Empty.Parser, cancellationToken: cancel.Token);
        await _server.Started.Task.WaitAsync(Patience);

        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }
}
