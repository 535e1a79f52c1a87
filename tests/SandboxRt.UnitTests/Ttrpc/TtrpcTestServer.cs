using Google.Protobuf.WellKnownTypes;
using SandboxRt.Grpc;
using SandboxRt.Ttrpc;

namespace SandboxRt.UnitTests.Ttrpc;

/// <summary>A <see cref="TtrpcServer"/> on a socket in a scratch directory, serving the "test.Echo" methods.</summary>
internal sealed class TtrpcTestServer : IAsyncDisposable
{
    public const string Service = "test.Echo";

    private readonly TempDirectory _directory = new();

    public TtrpcTestServer()
    {
        SocketPath = Path.Combine(_directory.Path, "t.sock");
        var table = new TtrpcServiceTable()
            .Add(Service, "Echo", StringValue.Parser, (request, _) => Task.FromResult(new StringValue { Value = request.Value }))
            .Add(Service, "Metadata", Empty.Parser, (_, context) => Task.FromResult(new StringValue
            {
                Value = $"{context.Metadata.Get(TtrpcMetadata.NamespaceKey)}|{string.Join(",", context.Metadata.GetAll("multi"))}",
            }))
            .Add(Service, "Fail", StringValue.Parser, Fail)
            .Add(Service, "Crash", StringValue.Parser, Crash)
            .Add(Service, "WaitForCancel", Empty.Parser, WaitForCancelAsync)
            .Add(Service, "Gated", StringValue.Parser, (request, context) => Gated(request, context));
        Server = TtrpcServer.Listen(SocketPath, table);
    }

    public string SocketPath { get; }

    public TtrpcServer Server { get; }

    /// <summary>What "Gated" does; each test that calls it sets it.</summary>
    public Func<StringValue, TtrpcCallContext, Task<StringValue>> Gated { get; set; } = (request, _) => Task.FromResult(request);

    /// <summary>Set when "WaitForCancel" starts, and when its token fires.</summary>
    public TaskCompletionSource<TtrpcCallContext> Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource<TtrpcCallContext> Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<TtrpcClient> ConnectAsync() => TtrpcClient.ConnectAsync("unix://" + SocketPath);

    public async ValueTask DisposeAsync()
    {
        await Server.StopAsync();
        _directory.Dispose();
    }

    private static Task<StringValue> Fail(StringValue request, TtrpcCallContext context) =>
        throw new TtrpcException(StatusCode.NotFound, request.Value);

    private static Task<StringValue> Crash(StringValue request, TtrpcCallContext context) =>
        throw new InvalidOperationException(request.Value);

    private async Task<Empty> WaitForCancelAsync(Empty request, TtrpcCallContext context)
    {
        Started.TrySetResult(context);
        try
        {
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            Cancelled.TrySetResult(context);
            throw;
        }
        return new Empty();
    }
}
