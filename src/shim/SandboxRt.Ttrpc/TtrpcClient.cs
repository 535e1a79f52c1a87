using System.Net.Sockets;
using Google.Protobuf;
using SandboxRt.Grpc;
using SandboxRt.Ttrpc.Framing;
using SandboxRt.Ttrpc.Wire;

namespace SandboxRt.Ttrpc;

// A ttrpc client connection (github.com/containerd/ttrpc v1.1, client.go).
//
// - Many calls share one connection. Each call registers a waiter under its stream id and sends its
//   request; one receive loop hands every response to the waiter with the same id. Ids are odd,
//   1, 3, 5, ..., and are assigned under the channel's write lock so that they reach the wire in
//   increasing order, which servers from ttrpc v1.2 on insist on.
// - The deadline is the client's own: the call stops waiting when it passes (DEADLINE_EXCEEDED) and
//   timeout_nano tells the server to stop too. A late response finds no waiter and is dropped.
// - A dead connection fails every waiting call with UNAVAILABLE "ttrpc: closed" and completes
//   Closed. Registration and that sweep share one lock, so no call can slip in after the sweep and
//   wait for ever.

/// <summary>A connection to a ttrpc server; calls on it may run concurrently.</summary>
public sealed class TtrpcClient : IAsyncDisposable
{
    /// <summary>CancelAfter's limit (about 24.8 days); a longer timeout is sent but not timed locally.</summary>
    private static readonly TimeSpan LongestTimer = TimeSpan.FromMilliseconds(int.MaxValue);

    private readonly FrameChannel _channel;
    private readonly Dictionary<uint, TaskCompletionSource<Response>> _waiters = [];
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _receiveLoop;
    private uint _nextStreamId = 1;
    private bool _isClosed;
    private Exception? _closeCause;

    private TtrpcClient(Stream stream)
    {
        _channel = new FrameChannel(stream);
        _receiveLoop = Task.Run(ReceiveLoopAsync);
    }

    /// <summary>Completes (never faults) when the connection is gone, for whatever reason.</summary>
    public Task Closed => _closed.Task;

    /// <summary>Connects to the Unix socket at <paramref name="pathOrUnixUri"/> ("/path" or "unix:///path").</summary>
    public static async Task<TtrpcClient> ConnectAsync(string pathOrUnixUri, CancellationToken cancellationToken = default)
    {
        var path = UnixSocketAddress.ToPath(pathOrUnixUri);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new IOException($"ttrpc: connect(\"{path}\"): {e.SocketErrorCode}: {e.Message}", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new TtrpcClient(new NetworkStream(socket, ownsSocket: true));
    }

    /// <summary>
    /// Calls /<paramref name="service"/>/<paramref name="method"/>. A non-OK status, an expired timeout
    /// (DEADLINE_EXCEEDED), an oversized request (RESOURCE_EXHAUSTED, nothing sent) and a lost
    /// connection (UNAVAILABLE) all throw <see cref="TtrpcException"/>; <paramref name="cancellationToken"/>
    /// throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public async Task<TResponse> CallAsync<TRequest, TResponse>(
        string service,
        string method,
        TRequest request,
        MessageParser<TResponse> parser,
        TtrpcCallOptions? options = null,
        CancellationToken cancellationToken = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(parser);

        var timeout = options?.Timeout is { } t && t != Timeout.InfiniteTimeSpan ? t : (TimeSpan?)null;
        if (timeout < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), timeout, "ttrpc: a call timeout cannot be negative");
        var wire = new Request
        {
            Service = service,
            Method = method,
            Payload = request.ToByteString(),
            TimeoutNano = timeout is { } tn ? tn.Ticks * TimeSpan.NanosecondsPerTick : 0,
        };
        if (options?.Metadata is { } metadata)
            foreach (var pair in metadata)
                wire.Metadata.Add(new KeyValue { Key = pair.Key, Value = pair.Value });

        using var deadline = new CancellationTokenSource();
        if (timeout is { } d && d <= LongestTimer)
            deadline.CancelAfter(d);
        using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var waiter = new TaskCompletionSource<Response>(TaskCreationOptions.RunContinuationsAsynchronously);
        uint streamId = 0;
        Response response;
        try
        {
            await _channel.WriteAsync(() => streamId = Register(waiter), MessageType.Request, wire, call.Token);
            response = await waiter.Task.WaitAsync(call.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TtrpcException(StatusCode.DeadlineExceeded, "context deadline exceeded");
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            throw ClosedError(e);
        }
        finally
        {
            if (streamId != 0)
                lock (_gate)
                    _waiters.Remove(streamId);
        }

        if (response.Status is { Code: not 0 } status)
            throw new TtrpcException((StatusCode)status.Code, status.Message);
        try
        {
            return parser.ParseFrom(response.Payload);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new TtrpcException(StatusCode.Internal, $"ttrpc: error unmarshalling the response of /{service}/{method}: {e.Message}", e);
        }
    }

    /// <summary>Closes the connection; waiting calls fail with UNAVAILABLE. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _receiveLoop;
    }

    /// <summary>Runs under the write lock: the next odd id, with its waiter in place before the request leaves.</summary>
    private uint Register(TaskCompletionSource<Response> waiter)
    {
        lock (_gate)
        {
            if (_isClosed)
                throw ClosedError(_closeCause);
            uint id = _nextStreamId;
            _nextStreamId += 2;
            _waiters.Add(id, waiter);
            return id;
        }
    }

    private TaskCompletionSource<Response>? Take(uint streamId)
    {
        lock (_gate)
            return _waiters.Remove(streamId, out var waiter) ? waiter : null;
    }

    private async Task ReceiveLoopAsync()
    {
        Exception? error = null;
        try
        {
            while (await _channel.ReadAsync() is { } frame)
                Deliver(frame);
        }
        catch (Exception e)
        {
            error = e;
        }

        await _channel.DisposeAsync();
        TaskCompletionSource<Response>[] orphans;
        lock (_gate)
        {
            _isClosed = true;
            _closeCause = error;
            orphans = [.. _waiters.Values];
            _waiters.Clear();
        }
        foreach (var orphan in orphans)
            orphan.TrySetException(ClosedError(error));
        _closed.TrySetResult();
    }

    private static TtrpcException ClosedError(Exception? cause) => new(StatusCode.Unavailable, "ttrpc: closed", cause);

    private void Deliver(Frame frame)
    {
        var header = frame.Header;
        // A response for a call that gave up already (deadline, cancellation) has no waiter: dropped.
        var waiter = Take(header.StreamId);
        if (waiter is null)
            return;
        if (frame.Oversized)
        {
            waiter.TrySetException(new TtrpcException(StatusCode.ResourceExhausted,
                $"message length {header.Length} exceed maximum message size of {MessageHeader.MaxMessageLength}"));
            return;
        }
        if (header.Type != MessageType.Response)
        {
            waiter.TrySetException(new TtrpcException(StatusCode.Internal, $"ttrpc: unknown message type {(byte)header.Type} received"));
            return;
        }
        try
        {
            waiter.TrySetResult(Response.Parser.ParseFrom(frame.Payload));
        }
        catch (InvalidProtocolBufferException e)
        {
            waiter.TrySetException(new TtrpcException(StatusCode.Internal, $"ttrpc: error unmarshalling response: {e.Message}", e));
        }
    }
}
