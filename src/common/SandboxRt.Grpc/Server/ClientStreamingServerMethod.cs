using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace SandboxRt.Grpc.Server;

internal sealed class ClientStreamingServerMethod<TRequest, TResponse>(
    Method<TRequest, TResponse> method,
    Func<IServerStreamReader<TRequest>, ServerCallContext, Task<TResponse>> handler,
    int? maxReceiveMessageSize) : IServerMethod
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    public string FullName => method.FullName;

    public async Task InvokeAsync(HttpContext http, ServerCallContext call, GrpcLimits limits)
    {
        var receive = maxReceiveMessageSize is { } max ? limits with { MaxReceiveMessageSize = Math.Min(max, limits.MaxReceiveMessageSize) } : limits;
        var reader = new RequestStreamReader<TRequest>(http, method.RequestParser, receive, call.CancellationToken);
        var response = await handler(reader, call);
        await ResponseWriter.WriteMessageAsync(http, response, limits, call.CancellationToken);
    }
}
