using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Google.Protobuf;
using SandboxRt.Grpc.Framing;

namespace SandboxRt.Grpc.Client;

/// <summary>
/// A gRPC client over one HTTP/2 cleartext connection that <paramref name="connect"/> opens
/// (a Unix socket, vsock, or a virtio-serial chardev). SocketsHttpHandler multiplexes every call
/// as a stream on that connection and reconnects through the callback when it drops.
/// </summary>
public sealed class GrpcChannel : IDisposable
{
    private static readonly Uri BaseAddress = new("http://sandboxrt-agent");
    private readonly HttpClient _http;
    private readonly GrpcLimits _limits;

    public GrpcChannel(Func<CancellationToken, ValueTask<Stream>> connect, GrpcLimits? limits = null)
    {
        _limits = limits ?? GrpcLimits.Default;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = (_, cancellationToken) => connect(cancellationToken),
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            EnableMultipleHttp2Connections = false,
            UseProxy = false,
            AllowAutoRedirect = false,
            InitialHttp2StreamWindowSize = 2 * 1024 * 1024,
        };
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan, BaseAddress = BaseAddress };
    }

    public async Task<TResponse> UnaryAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        using var call = await StartAsync(method.FullName, request, options);
        var response = await call.ReadAsync(method.ResponseParser);
        if (response is null)
        {
            call.ThrowIfStatusNotOk();
            throw new RpcException(StatusCode.Internal, $"{method} returned no response message");
        }
        if (await call.ReadAsync(method.ResponseParser) is not null)
            throw new RpcException(StatusCode.Internal, $"{method} returned more than one response message");
        call.ThrowIfStatusNotOk();
        return response;
    }

    public async IAsyncEnumerable<TResponse> ServerStreamingAsync<TRequest, TResponse>(
        Method<TRequest, TResponse> method, TRequest request, CallOptions options = default,
        [EnumeratorCancellation] CancellationToken enumeratorCancellation = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken, enumeratorCancellation);
        using var call = await StartAsync(method.FullName, request, options with { CancellationToken = linked.Token });
        while (await call.ReadAsync(method.ResponseParser) is { } message)
            yield return message;
        call.ThrowIfStatusNotOk();
    }

    private async Task<ActiveCall> StartAsync(string path, IMessage request, CallOptions options)
    {
        var frame = MessageFraming.Encode(request, _limits.MaxSendMessageSize);
        var message = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new GrpcRequestContent(frame),
        };
        message.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        var cts = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken);
        if (options.Timeout is { } timeout)
        {
            message.Headers.TryAddWithoutValidation(GrpcTimeout.HeaderName, GrpcTimeout.Format(timeout));
            cts.CancelAfter(timeout);
        }
        var call = new ActiveCall(path, cts, options, _limits);
        try
        {
            await call.SendAsync(_http, message);
            return call;
        }
        catch
        {
            call.Dispose();
            throw;
        }
    }

    /// <summary>Sends an already-built HTTP/2 request on this channel's connection (the proxy's path).</summary>
    public Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Version = HttpVersion.Version20;
        request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        return _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>One call in flight: the response stream, its status, and the translation of transport failures.</summary>
    private sealed class ActiveCall(string path, CancellationTokenSource cts, CallOptions options, GrpcLimits limits) : IDisposable
    {
        private HttpResponseMessage? _response;
        private PipeReader? _body;
        private (StatusCode Status, string Detail)? _status;

        public async Task SendAsync(HttpClient http, HttpRequestMessage message)
        {
            try
            {
                _response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            }
            catch (Exception e) when (e is not RpcException)
            {
                throw Translate(e);
            }
            if (_response.StatusCode != HttpStatusCode.OK)
                throw new RpcException(FromHttpStatus(_response.StatusCode), $"{path}: HTTP status {(int)_response.StatusCode}");
            // A trailers-only response carries the status in the headers.
            if (ReadStatus(_response.Headers) is { } status)
            {
                _status = status;
                return;
            }
            _body = PipeReader.Create(await _response.Content.ReadAsStreamAsync(cts.Token));
        }

        public async Task<T?> ReadAsync<T>(MessageParser<T> parser) where T : class, IMessage<T>
        {
            if (_body is null)
                return null;
            try
            {
                var message = await MessageFraming.ReadAsync(_body, parser, limits.MaxReceiveMessageSize, cts.Token);
                if (message is null)
                    _status = ReadStatus(_response!.TrailingHeaders) ?? (StatusCode.Internal, $"{path}: the server closed the stream without a grpc-status");
                return message;
            }
            catch (Exception e) when (e is not RpcException)
            {
                throw Translate(e);
            }
        }

        public void ThrowIfStatusNotOk()
        {
            if (_status is { } s && s.Status != StatusCode.OK)
                throw new RpcException(s.Status, s.Detail);
        }

        private Exception Translate(Exception e)
        {
            if (e is OperationCanceledException)
            {
                if (options.CancellationToken.IsCancellationRequested)
                    return new RpcException(StatusCode.Cancelled, $"{path}: cancelled by the caller", e);
                if (cts.IsCancellationRequested)
                    return new RpcException(StatusCode.DeadlineExceeded, $"{path}: deadline of {options.Timeout?.TotalMilliseconds} ms exceeded", e);
            }
            bool notSent = false;
            for (var x = e; x is not null; x = x.InnerException)
                notSent |= x is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError }
                    || x is HttpRequestException h && h.Message.Contains("connection could not be established", StringComparison.Ordinal);
            return new RpcException(StatusCode.Unavailable, $"{path}: {Describe(e)}", e) { NotSent = notSent && _response is null };
        }

        private static string Describe(Exception e)
        {
            var parts = new List<string>();
            for (var x = e; x is not null; x = x.InnerException)
                parts.Add(x.Message);
            return string.Join(" -> ", parts.Distinct());
        }

        private static (StatusCode, string)? ReadStatus(HttpHeaders headers)
        {
            if (!headers.TryGetValues(GrpcHeaders.Status, out var values))
                return null;
            var text = values.FirstOrDefault();
            var status = int.TryParse(text, out var code) ? (StatusCode)code : StatusCode.Unknown;
            headers.TryGetValues(GrpcHeaders.Message, out var messages);
            return (status, GrpcHeaders.DecodeMessage(messages?.FirstOrDefault()));
        }

        private static StatusCode FromHttpStatus(HttpStatusCode code) => (int)code switch
        {
            400 => StatusCode.Internal,
            401 => StatusCode.Unauthenticated,
            403 => StatusCode.PermissionDenied,
            404 => StatusCode.Unimplemented,
            429 or 502 or 503 or 504 => StatusCode.Unavailable,
            _ => StatusCode.Unknown,
        };

        public void Dispose()
        {
            _body?.Complete();
            _response?.Dispose();
            cts.Dispose();
        }
    }
}
