using SandboxRt.Grpc;

namespace SandboxRt.Agent.Protocol;

/// <summary>
/// Every RPC of agent.proto as a method descriptor: its HTTP/2 path, shape and message parsers.
/// Grpc.Tools compiles only the messages (the gRPC runtime it targets is not available here), so the
/// service definitions are mirrored by hand; a unit test checks this list against the .proto's descriptors.
/// </summary>
public static class AgentMethods
{
    public const string HealthService = "sandboxrt.agent.v1.Health";
    public const string AgentService = "sandboxrt.agent.v1.AgentService";
    public const string ApiVersion = "sandboxrt.agent.v1";

    public static readonly Method<HealthCheckRequest, HealthCheckResponse> HealthCheck =
        new(MethodType.Unary, HealthService, "Check", HealthCheckRequest.Parser, HealthCheckResponse.Parser);

    public static readonly Method<HealthCheckRequest, HealthCheckResponse> HealthWatch =
        new(MethodType.ServerStreaming, HealthService, "Watch", HealthCheckRequest.Parser, HealthCheckResponse.Parser);

    public static readonly Method<VersionRequest, VersionResponse> Version =
        new(MethodType.Unary, HealthService, "Version", VersionRequest.Parser, VersionResponse.Parser);

    public static readonly Method<GuestDetailsRequest, GuestDetailsResponse> GuestDetails =
        new(MethodType.Unary, AgentService, "GuestDetails", GuestDetailsRequest.Parser, GuestDetailsResponse.Parser);
}
