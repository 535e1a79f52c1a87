using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace SandboxRt.Grpc.Server;

/// <summary>The response side of a server-streaming or duplex call; each write waits for Kestrel's flow control.</summary>
internal sealed class ResponseStreamWriter<T>(HttpContext http, GrpcLimits limits) : IServerStreamWriter<T>
    where T : class, IMessage<T>
{
    public Task WriteAsync(T message, CancellationToken cancellationToken = default) =>
        ResponseWriter.WriteMessageAsync(http, message, limits, cancellationToken);
}
