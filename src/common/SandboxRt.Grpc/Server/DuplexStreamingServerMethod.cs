using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace SandboxRt.Grpc.Server;

internal sealed class DuplexStreamingServerMethod<TRequest, TResponse>(
    Method<TRequest, TResponse> method,
    Func<IServerStreamReader<TRequest>, IServerStreamWriter<TResponse>, ServerCallContext, Task> handler) : IServerMethod
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    public string FullName => method.FullName;

    public Task InvokeAsync(HttpContext http, ServerCallContext call, GrpcLimits limits) =>
        handler(new RequestStreamReader<TRequest>(http, method.RequestParser, limits, call.CancellationToken),
                new ResponseStreamWriter<TResponse>(http, limits), call);
}
