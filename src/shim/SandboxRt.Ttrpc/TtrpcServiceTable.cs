using Google.Protobuf;
using SandboxRt.Grpc;

namespace SandboxRt.Ttrpc;

/// <summary>
/// The unary methods a <see cref="TtrpcServer"/> answers, by service and method name. Build it
/// completely, then serve: adding a method once a server uses the table is refused.
/// </summary>
public sealed class TtrpcServiceTable
{
    private readonly Dictionary<string, Dictionary<string, Func<ByteString, TtrpcCallContext, Task<IMessage>>>> _services = new(StringComparer.Ordinal);
    private volatile bool _serving;

    /// <summary>Registers one unary method. Returns this for chaining.</summary>
    public TtrpcServiceTable Add<TRequest, TResponse>(
        string service,
        string method,
        MessageParser<TRequest> parser,
        Func<TRequest, TtrpcCallContext, Task<TResponse>> handler)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(parser);
        ArgumentNullException.ThrowIfNull(handler);
        if (_serving)
            throw new InvalidOperationException($"ttrpc: cannot add /{service}/{method}: the service table is already serving");
        if (!_services.TryGetValue(service, out var methods))
            _services[service] = methods = new(StringComparer.Ordinal);
        if (!methods.TryAdd(method, InvokeAsync))
            throw new ArgumentException($"ttrpc: /{service}/{method} is registered twice");
        return this;

        async Task<IMessage> InvokeAsync(ByteString payload, TtrpcCallContext context)
        {
            TRequest request;
            try
            {
                request = parser.ParseFrom(payload);
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new TtrpcException(StatusCode.Internal, $"ttrpc: error unmarshalling payload: {e.Message}", e);
            }
            var response = await handler(request, context);
            return response ?? throw new TtrpcException(StatusCode.Internal, $"ttrpc: the handler of {context.FullMethod} returned null");
        }
    }

    /// <summary>The registered service names.</summary>
    public IEnumerable<string> ServiceNames => _services.Keys;

    internal void MarkServing() => _serving = true;

    /// <summary>The method's invoker; UNIMPLEMENTED (with the Go implementation's texts) when unknown.</summary>
    internal Func<ByteString, TtrpcCallContext, Task<IMessage>> Resolve(string service, string method)
    {
        if (!_services.TryGetValue(service, out var methods))
            throw new TtrpcException(StatusCode.Unimplemented, $"service {service}");
        if (!methods.TryGetValue(method, out var invoke))
            throw new TtrpcException(StatusCode.Unimplemented, $"method {method}");
        return invoke;
    }
}
