using System.Runtime.CompilerServices;
using Google.Protobuf;
using Grpc.Net.Client;

namespace SandboxRt.IntegrationTests.Support;

/// <summary>
/// A raw gRPC channel for tests: Grpc.Net.Client over a connect callback (as the runtime's own client),
/// calling any method descriptor, AgentMethods' or a test's own, with the library's status codes.
/// </summary>
public sealed class RawGrpcChannel : IDisposable
{
    private readonly GrpcChannel _channel;

    public RawGrpcChannel(Func<CancellationToken, ValueTask<Stream>> connect, int maxSendMessageSize = 16 * 1024 * 1024, int maxReceiveMessageSize = 16 * 1024 * 1024)
    {
        _channel = GrpcChannel.ForAddress("http://sandboxrt-agent", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                ConnectCallback = (_, ct) => connect(ct),
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                EnableMultipleHttp2Connections = false,
                UseProxy = false,
            },
            MaxSendMessageSize = maxSendMessageSize,
            MaxReceiveMessageSize = maxReceiveMessageSize,
        });
    }

    public async Task<TResponse> UnaryAsync<TRequest, TResponse>(SandboxRt.Grpc.Method<TRequest, TResponse> method, TRequest request, RawCallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        using var call = _channel.CreateCallInvoker().AsyncUnaryCall(ToLibrary(method, global::Grpc.Core.MethodType.Unary), null, ToLibrary(options), request);
        return await call.ResponseAsync;
    }

    public async IAsyncEnumerable<TResponse> ServerStreamingAsync<TRequest, TResponse>(SandboxRt.Grpc.Method<TRequest, TResponse> method, TRequest request, RawCallOptions options = default,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        using var call = _channel.CreateCallInvoker().AsyncServerStreamingCall(ToLibrary(method, global::Grpc.Core.MethodType.ServerStreaming), null, ToLibrary(options), request);
        while (await call.ResponseStream.MoveNext(cancellationToken))
            yield return call.ResponseStream.Current;
    }

    private static global::Grpc.Core.CallOptions ToLibrary(RawCallOptions options) =>
        new(deadline: options.Timeout is { } t ? DateTime.UtcNow + t : null, cancellationToken: options.CancellationToken);

    private static global::Grpc.Core.Method<TRequest, TResponse> ToLibrary<TRequest, TResponse>(SandboxRt.Grpc.Method<TRequest, TResponse> method, global::Grpc.Core.MethodType type)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        new(type, method.ServiceName, method.Name,
            global::Grpc.Core.Marshallers.Create(m => m.ToByteArray(), method.RequestParser.ParseFrom),
            global::Grpc.Core.Marshallers.Create(m => m.ToByteArray(), method.ResponseParser.ParseFrom));

    public void Dispose() => _channel.Dispose();
}
