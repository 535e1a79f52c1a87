using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace SandboxRt.Grpc.Server;

internal sealed class ServerStreamingServerMethod<TRequest, TResponse>(
    Method<TRequest, TResponse> method,
    Func<TRequest, IServerStreamWriter<TResponse>, ServerCallContext, Task> handler) : IServerMethod
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    public string FullName => method.FullName;

    public async Task InvokeAsync(HttpContext http, ServerCallContext call, GrpcLimits limits)
    {
        var request = await RequestReader.ReadSingleAsync(http, method.RequestParser, limits, call.CancellationToken);
        await handler(request, new ResponseStreamWriter<TResponse>(http, limits), call);
    }
}
