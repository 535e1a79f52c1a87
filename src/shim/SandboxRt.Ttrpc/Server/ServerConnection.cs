using Google.Protobuf;
using Microsoft.Extensions.Logging;
using SandboxRt.Grpc;
using SandboxRt.Ttrpc.Framing;
using SandboxRt.Ttrpc.Wire;

namespace SandboxRt.Ttrpc.Server;

// One accepted ttrpc client, served the way github.com/containerd/ttrpc v1.1 (server.go) serves it.
//
// - One receive loop per connection, many handlers. Each request runs on its own task, so a slow
//   handler never holds up the next request; responses go back through the channel's write lock in
//   whatever order handlers finish, paired with their requests only by stream id.
// - Protocol faults cost one response, not the connection. An oversized frame (its body already
//   skipped by FrameChannel) gets RESOURCE_EXHAUSTED, an unparsable request or an even stream id gets
//   INVALID_ARGUMENT, each on the offending stream id, and the loop reads on. Other message types are
//   ignored "for future compat". Only a broken stream ends the connection. The checks, their order and
//   their texts are Go's.
// - Every handler's token is linked to the connection: the client's timeout_nano expiring, the client
//   going away and the server stopping all cancel it. Whether the deadline fired decides between
//   DEADLINE_EXCEEDED and CANCELLED when a handler gives up (CallStatus).
// - Handlers still running when the connection closes finish into the void: there is nobody to answer.

/// <summary>One accepted client: a receive loop that starts a task per request.</summary>
internal sealed class ServerConnection
{
    /// <summary>CancelAfter's limit (about 24.8 days); a longer client timeout is treated as none.</summary>
    private static readonly TimeSpan LongestTimer = TimeSpan.FromMilliseconds(int.MaxValue);

    private readonly FrameChannel _channel;
    private readonly TtrpcServiceTable _services;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _closing = new();
    private int _active;

    public ServerConnection(Stream stream, TtrpcServiceTable services, ILogger log, string peer)
    {
        _channel = new FrameChannel(stream);
        _services = services;
        _log = log;
        Peer = peer;
    }

    /// <summary>Who connected, for log lines ("pid 1234 uid 0 gid 0").</summary>
    public string Peer { get; }

    /// <summary>The receive loop; set by <see cref="Start"/>, never faults.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>Handlers started and not yet answered.</summary>
    public int ActiveCalls => Volatile.Read(ref _active);

    public void Start(Action<ServerConnection> closed)
    {
        Completion = Task.Run(async () =>
        {
            try
            {
                await ReceiveLoopAsync();
            }
            finally
            {
                closed(this);
            }
        });
    }

    /// <summary>
    /// Closes the socket, then cancels every handler, in that order so that a handler giving up cannot
    /// slip a CANCELLED answer out first (Go's run loop is gone before its context is cancelled).
    /// The receive loop then ends. Idempotent.
    /// </summary>
    public async Task CloseAsync()
    {
        await _channel.DisposeAsync();
        try
        {
            _closing.Cancel();
        }
        catch (AggregateException e)
        {
            _log.LogWarning(e, "ttrpc: a cancellation callback of a call from {Peer} failed", Peer);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (await _channel.ReadAsync(_closing.Token) is { } frame)
                await ReceiveAsync(frame);
            _log.LogDebug("ttrpc: {Peer} closed the connection", Peer);
        }
        catch (Exception) when (_closing.IsCancellationRequested || _channel.IsClosed)
        {
            // Closed from our side.
        }
        catch (IOException e)
        {
            // EOF inside a frame or a reset: the client went away (Go stays silent for these too).
            _log.LogDebug("ttrpc: connection from {Peer} ended: {Error}", Peer, e.Message);
        }
        catch (Exception e)
        {
            _log.LogError(e, "ttrpc: error receiving a message from {Peer}", Peer);
        }
        finally
        {
            await CloseAsync();
        }
    }

    private async Task ReceiveAsync(Frame frame)
    {
        var header = frame.Header;
        if (frame.Oversized)
        {
            // ttrpc channel.go: the payload was discarded; the error goes back on the same stream id.
            _log.LogWarning("ttrpc: {Peer} sent {Length} bytes on stream {StreamId}, over the {Max}-byte limit", Peer, header.Length, header.StreamId, MessageHeader.MaxMessageLength);
            await AnswerAsync(header.StreamId, CallStatus.Create(StatusCode.ResourceExhausted,
                $"message length {header.Length} exceed maximum message size of {MessageHeader.MaxMessageLength}"));
            return;
        }
        if (header.Type != MessageType.Request)
        {
            // ttrpc server.go ignores other types "for future compat".
            _log.LogDebug("ttrpc: ignoring a message of type {Type} on stream {StreamId} from {Peer}", (byte)header.Type, header.StreamId, Peer);
            return;
        }
        Request request;
        try
        {
            request = Request.Parser.ParseFrom(frame.Payload);
        }
        catch (InvalidProtocolBufferException e)
        {
            await AnswerAsync(header.StreamId, CallStatus.Create(StatusCode.InvalidArgument, $"unmarshal request error: {e.Message}"));
            return;
        }
        if (header.StreamId % 2 != 1)
        {
            await AnswerAsync(header.StreamId, CallStatus.Create(StatusCode.InvalidArgument, "StreamID must be odd for client initiated streams"));
            return;
        }
        Interlocked.Increment(ref _active);
        _ = Task.Run(() => HandleAsync(header.StreamId, request));
    }

    /// <summary>An immediate error on <paramref name="streamId"/>, sent from the receive loop.</summary>
    private Task AnswerAsync(uint streamId, Status status) =>
        _channel.WriteAsync(streamId, MessageType.Response, new Response { Status = status });

    private async Task HandleAsync(uint streamId, Request request)
    {
        try
        {
            var response = await InvokeAsync(request);
            await _channel.WriteAsync(streamId, MessageType.Response, response);
        }
        catch (Exception e)
        {
            if (!_channel.IsClosed)
                _log.LogWarning(e, "ttrpc: could not answer /{Service}/{Method} on stream {StreamId} from {Peer}", request.Service, request.Method, streamId, Peer);
        }
        finally
        {
            Interlocked.Decrement(ref _active);
        }
    }

    private async Task<Response> InvokeAsync(Request request)
    {
        // Go's getRequestContext: 0 means no deadline; a negative one has already passed.
        TimeSpan? timeout = request.TimeoutNano == 0 ? null : TimeSpan.FromTicks(Math.Max(0, request.TimeoutNano) / TimeSpan.NanosecondsPerTick);
        using var deadline = new CancellationTokenSource();
        if (timeout is { } t && t <= LongestTimer)
            deadline.CancelAfter(t);
        using var call = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token, deadline.Token);

        var metadata = new TtrpcMetadata();
        foreach (var pair in request.Metadata)
            metadata.Add(pair.Key, pair.Value);
        var context = new TtrpcCallContext(request.Service, request.Method, metadata, timeout, call.Token);

        Response response;
        try
        {
            var invoke = _services.Resolve(request.Service, request.Method);
            var result = await invoke(request.Payload, context);
            // No status on success, byte for byte what Go sends (status.FromError(nil) is nil).
            response = new Response { Payload = result.ToByteString() };
        }
        catch (Exception e)
        {
            return new Response { Status = CallStatus.FromException(e, context, deadline.IsCancellationRequested, _log) };
        }

        int size = response.CalculateSize();
        if (size > MessageHeader.MaxMessageLength)
        {
            _log.LogError("ttrpc: the response of {Method} is {Size} bytes, over the {Max}-byte limit", context.FullMethod, size, MessageHeader.MaxMessageLength);
            return new Response
            {
                Status = CallStatus.Create(StatusCode.ResourceExhausted,
                    $"ttrpc: the response of {context.FullMethod} is {size} bytes, more than the maximum message size of {MessageHeader.MaxMessageLength}"),
            };
        }
        return response;
    }
}
