using Google.Protobuf;
using Grpc.Core;
using SandboxRt.Agent.Protocol;

namespace SandboxRt.Runtime.Agent;

/// <summary>
/// <see cref="IStdinStream"/> over the agent's StreamStdin (a client-streaming call): part of
/// <see cref="AgentClient"/>, where the protocol's messages stop.
///
/// Opening: the first message names the process and carries no data; the agent answers it with the
/// response headers (marked <see cref="AgentMethods.StdinAcceptedHeader"/>) once it found the process,
/// and only then does data follow; headers without the mark are a trailers-only answer, an error. So a process that does
/// not exist fails before any byte leaves, and an agent older than StreamStdin (UNIMPLEMENTED, a guest
/// image from before 2026-12-05) is detected with nothing lost: the stream then falls back to Kata's
/// unary WriteStdin/CloseStdin, one call per chunk. A call that could not reach the agent at all is
/// opened again for up to <see cref="AgentClient.ConnectRetryWindow"/>, as the unary calls are.
///
/// Data: cut into messages of at most <see cref="MaxChunk"/>. A write returns once Grpc.Net.Client has
/// handed the message to the HTTP/2 stream, which waits for the agent's flow-control window; the agent
/// reads the next message only when the process's pipe queue has room, so nothing piles up on either
/// side and a process that does not read holds back whoever writes here.
/// </summary>
internal sealed class AgentStdinStream(
    Func<AsyncClientStreamingCall<StdinChunk, StreamStdinResponse>> open,
    string id, string execId, bool closeAtEnd,
    Func<ReadOnlyMemory<byte>, CancellationToken, Task> unaryWrite,
    Func<CancellationToken, Task> unaryClose) : IStdinStream
{
    /// <summary>The most data one message carries (the agent accepts up to 1 MiB).</summary>
    public const int MaxChunk = 256 * 1024;

    private AsyncClientStreamingCall<StdinChunk, StreamStdinResponse>? _call;
    private bool _unary;
    private long _written;
    private int _disposed;

    public async Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        await OpenAsync(cancellationToken);
        for (int offset = 0; offset < data.Length; offset += MaxChunk)
        {
            var chunk = data.Slice(offset, Math.Min(MaxChunk, data.Length - offset));
            if (_unary)
                await unaryWrite(chunk, cancellationToken);
            else
                await SendAsync(new StdinChunk { Data = UnsafeByteOperations.UnsafeWrap(chunk) }, cancellationToken);
            _written += chunk.Length;
        }
    }

    public async Task<long> CompleteAsync(CancellationToken cancellationToken = default)
    {
        await OpenAsync(cancellationToken);
        if (_unary)
        {
            if (closeAtEnd)
                await unaryClose(cancellationToken);
            return _written;
        }
        try
        {
            await _call!.RequestStream.CompleteAsync();
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

    /// <summary>The first message and the agent's answer to it (see the type's comment).</summary>
    private async Task OpenAsync(CancellationToken cancellationToken)
    {
        if (_call is not null || _unary)
            return;
        var giveUp = DateTime.UtcNow + AgentClient.ConnectRetryWindow;
        while (true)
        {
            var call = open();
            RpcException? failure = null;
            try
            {
                await call.RequestStream.WriteAsync(new StdinChunk { ContainerId = id, ExecId = execId, CloseAtEnd = closeAtEnd }, cancellationToken);
                var headers = await call.ResponseHeadersAsync.WaitAsync(cancellationToken);
                if (headers.Get(AgentMethods.StdinAcceptedHeader) is null)
                    failure = await StatusOfEndedCallAsync(call); // trailers-only: the call has ended
            }
            catch (Exception e) when (e is RpcException or InvalidOperationException)
            {
                // a write on a call that ended says CANCELLED or "complete": the call's status says why
                failure = await StatusOfEndedCallAsync(call);
            }
            catch
            {
                call.Dispose();
                throw;
            }
            if (failure is null)
            {
                _call = call;
                return;
            }
            call.Dispose();
            if (failure.StatusCode == StatusCode.Unimplemented)
            {
                _unary = true; // an agent from before StreamStdin: nothing was sent yet
                return;
            }
            // a relay or VM that is gone for good is not retried, as in AgentClient's unary calls
            if (AgentCallFailure.PeerGone(failure) is not null || !AgentCallFailure.NotSent(failure) || DateTime.UtcNow >= giveUp || cancellationToken.IsCancellationRequested)
                throw Failure(failure);
            await Task.Delay(200, cancellationToken);
        }
    }

    private async Task SendAsync(StdinChunk message, CancellationToken cancellationToken)
    {
        try
        {
            await _call!.RequestStream.WriteAsync(message, cancellationToken);
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException)
        {
            // a write on a call that already ended says little: the call's status says why it ended
            throw Failure(await StatusOfEndedCallAsync());
        }
    }

    private Task<RpcException> StatusOfEndedCallAsync() => StatusOfEndedCallAsync(_call!);

    private static async Task<RpcException> StatusOfEndedCallAsync(AsyncClientStreamingCall<StdinChunk, StreamStdinResponse> call)
    {
        try
        {
            await call.ResponseAsync;
            return new RpcException(new Status(StatusCode.Internal, "StreamStdin ended before its input did"));
        }
        catch (RpcException e)
        {
            return e;
        }
    }

    private static Exception Failure(RpcException e) => AgentCallFailure.Surface("StreamStdin", e);

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            _call?.Dispose(); // cancels a call that has not completed (RST_STREAM): stdin stays open
        return ValueTask.CompletedTask;
    }
}
