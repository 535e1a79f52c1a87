using System.Collections.Frozen;
using Google.Protobuf;

namespace SandboxRt.Grpc.Server;

/// <summary>The methods a server answers, keyed by their HTTP/2 path. Build it once, then serve.</summary>
public sealed class GrpcServiceTable
{
    private readonly Dictionary<string, IServerMethod> _methods = new(StringComparer.Ordinal);
    private FrozenDictionary<string, IServerMethod>? _frozen;

    public GrpcServiceTable AddUnary<TRequest, TResponse>(
        Method<TRequest, TResponse> method,
        Func<TRequest, ServerCallContext, Task<TResponse>> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        if (method.Type != MethodType.Unary)
            throw new ArgumentException($"{method} is not a unary method", nameof(method));
        return Add(new UnaryServerMethod<TRequest, TResponse>(method, handler));
    }

    public GrpcServiceTable AddServerStreaming<TRequest, TResponse>(
        Method<TRequest, TResponse> method,
        Func<TRequest, IServerStreamWriter<TResponse>, ServerCallContext, Task> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        if (method.Type != MethodType.ServerStreaming)
            throw new ArgumentException($"{method} is not a server-streaming method", nameof(method));
        return Add(new ServerStreamingServerMethod<TRequest, TResponse>(method, handler));
    }

    /// <param name="maxReceiveMessageSize">
    /// A lower receive limit for this method's messages than the server's: a long stream of small
    /// messages (stdin) need not let a caller make the server buffer one as large as any other request.
    /// </param>
    public GrpcServiceTable AddClientStreaming<TRequest, TResponse>(
        Method<TRequest, TResponse> method,
        Func<IServerStreamReader<TRequest>, ServerCallContext, Task<TResponse>> handler,
        int? maxReceiveMessageSize = null)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        if (method.Type != MethodType.ClientStreaming)
            throw new ArgumentException($"{method} is not a client-streaming method", nameof(method));
        return Add(new ClientStreamingServerMethod<TRequest, TResponse>(method, handler, maxReceiveMessageSize));
    }

    public GrpcServiceTable AddDuplexStreaming<TRequest, TResponse>(
        Method<TRequest, TResponse> method,
        Func<IServerStreamReader<TRequest>, IServerStreamWriter<TResponse>, ServerCallContext, Task> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        if (method.Type != MethodType.DuplexStreaming)
            throw new ArgumentException($"{method} is not a duplex-streaming method", nameof(method));
        return Add(new DuplexStreamingServerMethod<TRequest, TResponse>(method, handler));
    }

    /// <summary>The registered service names (the part of the path between the slashes).</summary>
    public IEnumerable<string> ServiceNames => _methods.Keys.Select(k => k.Split('/')[1]).Distinct();

    internal IServerMethod? Find(string path)
    {
        _frozen ??= _methods.ToFrozenDictionary(StringComparer.Ordinal);
        return _frozen.GetValueOrDefault(path);
    }

    private GrpcServiceTable Add(IServerMethod method)
    {
        if (_frozen is not null)
            throw new InvalidOperationException("The service table is already serving");
        if (!_methods.TryAdd(method.FullName, method))
            throw new ArgumentException($"{method.FullName} is registered twice");
        return this;
    }
}
