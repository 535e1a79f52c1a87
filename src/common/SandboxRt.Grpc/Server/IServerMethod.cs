using Microsoft.AspNetCore.Http;

namespace SandboxRt.Grpc.Server;

/// <summary>One routed method: reads its request from the HTTP/2 stream and writes its responses.</summary>
internal interface IServerMethod
{
    string FullName { get; }

    Task InvokeAsync(HttpContext http, ServerCallContext call, GrpcLimits limits);
}
