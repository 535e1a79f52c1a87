using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace SandboxRt.Grpc.Server;

internal sealed class UnaryServerMethod<TRequest, TResponse>(
    Method<TRequest, TResponse> method,
    Func<TRequest, ServerCallContext, Task<TResponse>> handler) : IServerMethod
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    public string FullName => method.FullName;

    public async Task InvokeAsync(HttpContext http, ServerCallContext call, GrpcLimits limits)
    {
        var request = await RequestReader.ReadSingleAsync(http, method.RequestParser, limits, call.CancellationToken);
        var response = await handler(request, call);
        await ResponseWriter.WriteMessageAsync(http, response, limits, call.CancellationToken);
    }
}
