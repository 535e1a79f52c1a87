using Google.Protobuf;

namespace SandboxRt.Grpc;

/// <summary>
/// A gRPC method: its path on the wire (<c>/package.Service/Method</c>), its shape, and the parsers of
/// its request and response messages.
/// </summary>
public sealed class Method<TRequest, TResponse>
    where TRequest : IMessage<TRequest>
    where TResponse : IMessage<TResponse>
{
    public Method(MethodType type, string service, string name, MessageParser<TRequest> requestParser, MessageParser<TResponse> responseParser)
    {
        Type = type;
        ServiceName = service;
        Name = name;
        RequestParser = requestParser;
        ResponseParser = responseParser;
        FullName = "/" + service + "/" + name;
    }

    public MethodType Type { get; }
    public string ServiceName { get; }
    public string Name { get; }

    /// <summary>The HTTP/2 :path of the method.</summary>
    public string FullName { get; }

    public MessageParser<TRequest> RequestParser { get; }
    public MessageParser<TResponse> ResponseParser { get; }

    public override string ToString() => FullName;
}
