using Google.Protobuf;
using Grpc.Core;
using SandboxRt.Agent.Protocol;

namespace SandboxRt.Runtime.Agent;

/// <summary>
/// <see cref="IStdinStream"/> over the agent's StreamStdin (a client-streaming call): part of
/// <see cref="AgentClient"/>, where the protocol's messages stop. The first message names the process
/// (and carries the first data, if any); data is cut into messages of at most <see cref="MaxChunk"/>.
/// Each write returns once Grpc.Net.Client has handed the message to the HTTP/2 stream, which waits for
/// the agent's flow-control window: the agent reads the next message only when the process's pipe
/// queue has room, so nothing piles up on either side. A call that could not reach the agent before
/// its first message left is opened again (as <see cref="AgentClient"/>'s unary calls are retried).
/// </summary>
internal sealed class AgentStdinStream(Func<AsyncClientStreamingCall<StdinChunk, StreamStdinResponse>> open, string id, string execId, bool closeAtEnd) : IStdinStream
{
    /// <summary>The most data one message carries (the agent accepts up to 1 MiB).</summary>
    public const int MaxChunk = 256 * 1024;

    private AsyncClientStreamingCall<StdinChunk, StreamStdinResponse> _call = open();
    private bool _sentFirst;
    private int _disposed;

    public async Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        for (int offset = 0; offset < data.Length; offset += MaxChunk)
            await SendAsync(data.Slice(offset, Math.Min(MaxChunk, data.Length - offset)), cancellationToken);
    }

    public async Task<long> CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (!_sentFirst)
            await SendAsync(ReadOnlyMemory<byte>.Empty, cancellationToken); // the process must be named even without data
        try
        {
            await _call.RequestStream.CompleteAsync();
            return (long)Math.Min((await _call.ResponseAsync.WaitAsync(cancellationToken)).Written, long.MaxValue);
        }
        catch (RpcException e)
        {
            throw Failure(e);
        }
        catch (InvalidOperationException)
        {
            throw Failure(await StatusOfEndedCallAsync());
        }
    }

    private async Task SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var message = new StdinChunk { Data = UnsafeByteOperations.UnsafeWrap(data) };
        if (!_sentFirst)
        {
            message.ContainerId = id;
            message.ExecId = execId;
            message.CloseAtEnd = closeAtEnd;
        }
        var giveUp = DateTime.UtcNow + AgentClient.ConnectRetryWindow;
        while (true)
        {
            try
            {
                await _call.RequestStream.WriteAsync(message, cancellationToken);
                _sentFirst = true;
                return;
            }
            catch (Exception e) when (e is RpcException or InvalidOperationException)
            {
                // a write on a call that already ended says little: the call's status says why it ended
                var status = e as RpcException ?? await StatusOfEndedCallAsync();
                if (!_sentFirst && AgentCallFailure.NotSent(status) && DateTime.UtcNow < giveUp && !cancellationToken.IsCancellationRequested)
                {
                    _call.Dispose();
                    await Task.Delay(200, cancellationToken);
                    _call = open();
                    continue;
                }
                throw Failure(status);
            }
        }
    }

    private async Task<RpcException> StatusOfEndedCallAsync()
    {
        try
        {
            await _call.ResponseAsync;
            return new RpcException(new Status(StatusCode.Internal, "StreamStdin ended before its input did"));
        }
        catch (RpcException e)
        {
            return e;
        }
    }

    private static Exception Failure(RpcException e) =>
        AgentCallFailure.RelayGone(e) ?? (Exception)AgentMapping.ToException("StreamStdin", e);

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            _call.Dispose(); // cancels a call that has not completed (RST_STREAM): stdin stays open
        return ValueTask.CompletedTask;
    }
}
