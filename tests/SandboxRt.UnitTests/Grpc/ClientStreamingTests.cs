using System.Buffers.Binary;
using System.Net.Sockets;
using Google.Protobuf;
using Grpc.Net.Client;
using SandboxRt.Agent.Protocol;
using SandboxRt.Grpc;
using SandboxRt.Grpc.Server;
using LibraryMethodType = Grpc.Core.MethodType;
using RpcException = Grpc.Core.RpcException;
using StatusCode = Grpc.Core.StatusCode;

namespace SandboxRt.UnitTests.Grpc;

/// <summary>
/// Client-streaming and duplex calls through our server (Kestrel built by hand, on a Unix socket in a
/// scratch directory) and Grpc.Net.Client: order, half-close, HTTP/2 flow control against a slow
/// handler, reset, deadline, errors as status, and the per-method receive limit.
/// </summary>
[Trait("Tier", "unit")]
public sealed class ClientStreamingTests : IAsyncLifetime
{
    private const int Chunk = 64 * 1024;
    private static readonly Method<TestDataChunk, SinkTestDataResponse> Sum =
        new(MethodType.ClientStreaming, "test.Streams", "Sum", TestDataChunk.Parser, SinkTestDataResponse.Parser);
    private static readonly Method<TestDataChunk, SinkTestDataResponse> Slow =
        new(MethodType.ClientStreaming, "test.Streams", "Slow", TestDataChunk.Parser, SinkTestDataResponse.Parser);
    private static readonly Method<TestDataChunk, SinkTestDataResponse> Held =
        new(MethodType.ClientStreaming, "test.Streams", "Held", TestDataChunk.Parser, SinkTestDataResponse.Parser);
    private static readonly Method<TestDataChunk, SinkTestDataResponse> FailAfterOne =
        new(MethodType.ClientStreaming, "test.Streams", "FailAfterOne", TestDataChunk.Parser, SinkTestDataResponse.Parser);
    private static readonly Method<TestDataChunk, SinkTestDataResponse> Small =
        new(MethodType.ClientStreaming, "test.Streams", "Small", TestDataChunk.Parser, SinkTestDataResponse.Parser);
    private static readonly Method<TestDataChunk, TestDataChunk> Echo =
        new(MethodType.DuplexStreaming, "test.Streams", "Echo", TestDataChunk.Parser, TestDataChunk.Parser);

    private readonly TempDirectory _dir = new();
    private readonly TaskCompletionSource<Exception> _heldEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _heldFirst = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _clientWritten;
    // set when a client write stops completing at once (flow control holds it back), or when it wrote everything
    private readonly TaskCompletionSource _clientHeldBack = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _largestInFlight;
    private GrpcKestrelServer? _server;
    private GrpcChannel? _channel;

    private string SocketPath => Path.Combine(_dir.Path, "s.sock");

    public async ValueTask InitializeAsync()
    {
        var table = new GrpcServiceTable()
            .AddClientStreaming(Sum, async (reader, call) =>
            {
                // every message carries its index: they must arrive in order, all of them
                ulong count = 0, bytes = 0;
                while (await reader.ReadAsync(call.CancellationToken) is { } m)
                {
                    Assert.Equal(count, BinaryPrimitives.ReadUInt64LittleEndian(m.Data.Span));
                    count++;
                    bytes += (ulong)m.Data.Length;
                }
                Assert.Null(await reader.ReadAsync(call.CancellationToken)); // reading past the end stays at the end
                return new SinkTestDataResponse { Bytes = bytes, Sha256 = ByteString.CopyFrom(BitConverter.GetBytes(count)) };
            })
            .AddClientStreaming(Slow, async (reader, call) =>
            {
                ulong received = 0;
                var first = true;
                while (await reader.ReadAsync(call.CancellationToken) is { } m)
                {
                    received += (ulong)m.Data.Length;
                    // what the client has finished writing, minus what this handler took: the data
                    // that is on its way or buffered by the server
                    long inFlight = Interlocked.Read(ref _clientWritten) - (long)received;
                    InterlockedMax(ref _largestInFlight, inFlight);
                    if (first)
                    {
                        // a slow consumer: nothing more is read until the client runs into the window (or,
                        // with flow control broken, has sent everything, which the bound below then catches)
                        first = false;
                        await _clientHeldBack.Task.WaitAsync(call.CancellationToken);
                    }
                }
                return new SinkTestDataResponse { Bytes = received };
            })
            .AddClientStreaming(Held, async (reader, call) =>
            {
                try
                {
                    await reader.ReadAsync(call.CancellationToken);
                    _heldFirst.TrySetResult();
                    while (await reader.ReadAsync(call.CancellationToken) is not null) { }
                    _heldEnded.TrySetResult(new InvalidOperationException("the stream ended normally"));
                }
                catch (Exception e)
                {
                    _heldEnded.TrySetResult(e);
                    throw;
                }
                return new SinkTestDataResponse();
            })
            .AddClientStreaming(FailAfterOne, async (reader, call) =>
            {
                await reader.ReadAsync(call.CancellationToken);
                throw new InvalidOperationException("process p1 has exited");
            })
            .AddClientStreaming(Small, async (reader, call) =>
            {
                while (await reader.ReadAsync(call.CancellationToken) is not null) { }
                return new SinkTestDataResponse();
            }, maxReceiveMessageSize: 1024)
            .AddDuplexStreaming(Echo, async (reader, writer, call) =>
            {
                while (await reader.ReadAsync(call.CancellationToken) is { } m)
                    await writer.WriteAsync(m, call.CancellationToken);
            });
        var app = new GrpcHttpApplication(table)
        {
            MapException = e => e is InvalidOperationException ? (SandboxRt.Grpc.StatusCode.FailedPrecondition, e.Message) : (SandboxRt.Grpc.StatusCode.Internal, e.Message),
        };
        _server = await GrpcKestrelServer.StartAsync(new UnixDomainSocketEndPoint(SocketPath), app);
        _channel = GrpcChannel.ForAddress("http://streams", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, ct) =>
                {
                    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                },
                UseProxy = false,
            },
            MaxSendMessageSize = 16 * 1024 * 1024,
        });
    }

    [Fact]
    public async Task Messages_arrive_in_order_and_the_half_close_ends_the_stream()
    {
        using var call = Start(Sum);
        for (ulong i = 0; i < 2000; i++)
            await call.RequestStream.WriteAsync(Indexed(i, 100), TestContext.Current.CancellationToken);
        await call.RequestStream.CompleteAsync();
        var response = await call.ResponseAsync;
        Assert.Equal(2000UL * 100, response.Bytes);
        Assert.Equal(2000UL, BitConverter.ToUInt64(response.Sha256.Span));
    }

    [Fact]
    public async Task A_stream_half_closed_at_once_gets_its_answer()
    {
        using var call = Start(Sum);
        await call.RequestStream.CompleteAsync();
        Assert.Equal(0UL, (await call.ResponseAsync).Bytes);
    }

    [Fact]
    public async Task A_slow_handler_holds_the_client_back_by_flow_control()
    {
        const long total = 32L * 1024 * 1024;
        using var call = Start(Slow);
        var data = new byte[Chunk];
        for (long sent = 0; sent < total; sent += Chunk)
        {
            var write = call.RequestStream.WriteAsync(new TestDataChunk { Data = ByteString.CopyFrom(data) }, TestContext.Current.CancellationToken);
            if (!write.IsCompleted && sent >= 1024 * 1024)
                _clientHeldBack.TrySetResult();
            await write;
            Interlocked.Add(ref _clientWritten, Chunk);
        }
        _clientHeldBack.TrySetResult();
        await call.RequestStream.CompleteAsync();
        Assert.Equal((ulong)total, (await call.ResponseAsync).Bytes);
        // Kestrel's stream window (2 MiB, GrpcKestrelServer) bounds what the client may send ahead of the
        // handler, plus the message being parsed and the one being written: never the whole 32 MiB
        long bound = 2 * 1024 * 1024 + 4 * Chunk;
        TestContext.Current.TestOutputHelper?.WriteLine($"largest amount ahead of the handler: {_largestInFlight} bytes");
        Assert.True(_largestInFlight <= bound, $"{_largestInFlight} bytes were ahead of the handler (bound {bound})");
    }

    [Fact]
    public async Task A_reset_stream_cancels_the_handlers_read()
    {
        using var cts = new CancellationTokenSource();
        var call = Start(Held, cts.Token);
        await call.RequestStream.WriteAsync(Indexed(0, 10), TestContext.Current.CancellationToken);
        await _heldFirst.Task.WaitAsync(TestContext.Current.CancellationToken);
        cts.Cancel(); // RST_STREAM(CANCEL)
        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal(StatusCode.Cancelled, e.StatusCode);
        Assert.IsAssignableFrom<OperationCanceledException>(await _heldEnded.Task.WaitAsync(TestContext.Current.CancellationToken));
        call.Dispose();
    }

    [Fact]
    public async Task The_deadline_ends_a_stream_the_client_keeps_open()
    {
        using var call = _channel!.CreateCallInvoker().AsyncClientStreamingCall(ToLibrary(Held), null,
            new global::Grpc.Core.CallOptions(deadline: DateTime.UtcNow + TimeSpan.FromSeconds(3)));
        await call.RequestStream.WriteAsync(Indexed(0, 10), TestContext.Current.CancellationToken);
        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        Assert.IsAssignableFrom<OperationCanceledException>(await _heldEnded.Task.WaitAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_handler_that_fails_mid_stream_gives_its_status_to_the_client()
    {
        using var call = Start(FailAfterOne);
        await call.RequestStream.WriteAsync(Indexed(0, 10), TestContext.Current.CancellationToken);
        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Equal("process p1 has exited", e.Status.Detail);
        // the client still writing learns the same end
        await Assert.ThrowsAnyAsync<Exception>(() => call.RequestStream.WriteAsync(Indexed(1, 10), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_method_can_receive_less_than_the_server_limit()
    {
        using var call = Start(Small);
        await call.RequestStream.WriteAsync(Indexed(0, 1000), TestContext.Current.CancellationToken);
        try
        {
            await call.RequestStream.WriteAsync(Indexed(1, 2000), TestContext.Current.CancellationToken);
            await call.RequestStream.CompleteAsync();
        }
        catch (Exception) // the server may have ended the call before the client finished writing
        {
        }
        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
    }

    [Fact]
    public async Task A_duplex_call_answers_each_message_while_the_client_still_sends()
    {
        using var call = _channel!.CreateCallInvoker().AsyncDuplexStreamingCall(ToLibrary(Echo), null, default);
        for (ulong i = 0; i < 100; i++)
        {
            await call.RequestStream.WriteAsync(Indexed(i, 16), TestContext.Current.CancellationToken);
            Assert.True(await call.ResponseStream.MoveNext(TestContext.Current.CancellationToken));
            Assert.Equal(i, BinaryPrimitives.ReadUInt64LittleEndian(call.ResponseStream.Current.Data.Span));
        }
        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(TestContext.Current.CancellationToken));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Through_the_relays_proxy_a_message_reaches_the_handler_while_the_stream_is_open()
    {
        // the proxy (GrpcProxyApplication) as the relay serves it to other host processes. Over a Unix
        // socket this passes with StreamContent too; the hang FlushingStreamContent fixed showed only over
        // the relay's real guest channel (StdinStreamTests' exec case)
        using var upstream = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
            UseProxy = false,
        };
        var proxySocket = Path.Combine(_dir.Path, "proxy.sock");
        await using var proxy = await GrpcKestrelServer.StartAsync(new UnixDomainSocketEndPoint(proxySocket),
            new GrpcProxyApplication(new HttpMessageInvoker(upstream, disposeHandler: false), new Uri("http://streams")));
        using var channel = GrpcChannel.ForAddress("http://proxy", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, ct) =>
                {
                    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(proxySocket), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                },
                UseProxy = false,
            },
        });
        using var cts = new CancellationTokenSource();
        using var call = channel.CreateCallInvoker().AsyncClientStreamingCall(ToLibrary(Held), null, new global::Grpc.Core.CallOptions(cancellationToken: cts.Token));
        await call.RequestStream.WriteAsync(Indexed(0, 10), TestContext.Current.CancellationToken);
        // the stream stays open: the message must not wait in the proxy for the body's end
        await _heldFirst.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        cts.Cancel();
    }

    private global::Grpc.Core.AsyncClientStreamingCall<TestDataChunk, SinkTestDataResponse> Start(Method<TestDataChunk, SinkTestDataResponse> method, CancellationToken cancellationToken = default) =>
        _channel!.CreateCallInvoker().AsyncClientStreamingCall(ToLibrary(method), null, new global::Grpc.Core.CallOptions(cancellationToken: cancellationToken));

    private static TestDataChunk Indexed(ulong index, int size)
    {
        var data = new byte[Math.Max(size, 8)];
        BinaryPrimitives.WriteUInt64LittleEndian(data, index);
        return new TestDataChunk { Data = ByteString.CopyFrom(data) };
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long current;
        while (value > (current = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current) { }
    }

    private static global::Grpc.Core.Method<TRequest, TResponse> ToLibrary<TRequest, TResponse>(Method<TRequest, TResponse> method)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        new(method.Type == MethodType.DuplexStreaming ? LibraryMethodType.DuplexStreaming : LibraryMethodType.ClientStreaming,
            method.ServiceName, method.Name,
            global::Grpc.Core.Marshallers.Create(m => m.ToByteArray(), method.RequestParser.ParseFrom),
            global::Grpc.Core.Marshallers.Create(m => m.ToByteArray(), method.ResponseParser.ParseFrom));

    public async ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        if (_server is not null)
            await _server.DisposeAsync();
        _dir.Dispose();
    }
}
