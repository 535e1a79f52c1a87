namespace SandboxRt.Grpc;

/// <summary>The call shapes this gRPC layer supports.</summary>
public enum MethodType
{
    Unary,
    ServerStreaming,
    /// <summary>Many request messages (until the client half-closes), one response.</summary>
    ClientStreaming,
    /// <summary>Request and response messages in both directions at once.</summary>
    DuplexStreaming,
}
