namespace SandboxRt.Grpc;

/// <summary>The call shapes this gRPC layer supports.</summary>
public enum MethodType
{
    Unary,
    ServerStreaming,
}
