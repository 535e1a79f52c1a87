namespace SandboxRt.Runtime.Agent;

/// <summary>What kind of failure the agent reported (its gRPC status, in domain terms).</summary>
public enum AgentErrorKind
{
    NotFound,
    AlreadyExists,
    InvalidArgument,
    FailedPrecondition,
    PermissionDenied,
    ResourceExhausted,
    Unavailable,
    Timeout,
    Cancelled,
    Unimplemented,
    Internal,
}
