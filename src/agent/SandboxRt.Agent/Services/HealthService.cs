using SandboxRt.Agent.Protocol;
using SandboxRt.Grpc;
using SandboxRt.Grpc.Server;

namespace SandboxRt.Agent.Services;

/// <summary>sandboxrt.agent.v1.Health: Check, Watch and Version.</summary>
internal sealed class HealthService(IReadOnlySet<string> services)
{
    public void Register(GrpcServiceTable table) => table
        .AddUnary(AgentMethods.HealthCheck, CheckAsync)
        .AddServerStreaming(AgentMethods.HealthWatch, WatchAsync)
        .AddUnary(AgentMethods.Version, VersionAsync);

    private Task<HealthCheckResponse> CheckAsync(HealthCheckRequest request, ServerCallContext context) =>
        Task.FromResult(Status(request.Service));

    private async Task WatchAsync(HealthCheckRequest request, IServerStreamWriter<HealthCheckResponse> writer, ServerCallContext context)
    {
        await writer.WriteAsync(Status(request.Service), context.CancellationToken);
        // The agent's status does not change while it serves: hold the stream until the client
        // cancels or its deadline passes.
        await Task.Delay(Timeout.Infinite, context.CancellationToken);
    }

    private static Task<VersionResponse> VersionAsync(VersionRequest request, ServerCallContext context) =>
        Task.FromResult(new VersionResponse { AgentVersion = AgentVersion.Value, ApiVersion = AgentMethods.ApiVersion });

    private HealthCheckResponse Status(string service)
    {
        if (service.Length != 0 && !services.Contains(service))
            throw new RpcException(StatusCode.NotFound, $"unknown service '{service}'");
        return new HealthCheckResponse { Status = HealthCheckResponse.Types.ServingStatus.Serving };
    }
}
