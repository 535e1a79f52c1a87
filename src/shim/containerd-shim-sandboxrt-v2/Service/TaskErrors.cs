using SandboxRt.Grpc;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Shim.Pods;
using SandboxRt.Ttrpc;

namespace SandboxRt.Shim.Service;

/// <summary>
/// The one place where the pod's exceptions become ttrpc statuses. containerd maps the codes back to
/// its errdefs (NotFound, AlreadyExists, FailedPrecondition...), and `ctr` and the CRI plugin act on
/// those, so the code matters as much as the message.
/// </summary>
internal static class TaskErrors
{
    public static TtrpcException ToStatus(Exception e) => e switch
    {
        TtrpcException t => t,
        TaskNotFoundException or SandboxRt.Runtime.Core.States.ProcessFinishedException => new(StatusCode.NotFound, e.Message),
        TaskAlreadyExistsException => new(StatusCode.AlreadyExists, e.Message),
        SpecValidationException or PathEscapeException or ConfigException or ArgumentException or FormatException =>
            new(StatusCode.InvalidArgument, e.Message),
        InvalidOperationException => new(StatusCode.FailedPrecondition, e.Message),
        NotSupportedException => new(StatusCode.Unimplemented, e.Message),
        AgentException a => new(FromAgent(a.Kind), $"agent {a.Method}: {a.Message}"),
        BootFailedException => new(StatusCode.Unavailable, e.Message),
        OperationCanceledException => new(StatusCode.Cancelled, e.Message),
        IOException or UnauthorizedAccessException => new(StatusCode.Internal, e.Message),
        _ => new(StatusCode.Unknown, e.Message),
    };

    private static StatusCode FromAgent(AgentErrorKind kind) => kind switch
    {
        AgentErrorKind.NotFound => StatusCode.NotFound,
        AgentErrorKind.AlreadyExists => StatusCode.AlreadyExists,
        AgentErrorKind.InvalidArgument => StatusCode.InvalidArgument,
        AgentErrorKind.FailedPrecondition => StatusCode.FailedPrecondition,
        AgentErrorKind.PermissionDenied => StatusCode.PermissionDenied,
        AgentErrorKind.ResourceExhausted => StatusCode.ResourceExhausted,
        AgentErrorKind.Unavailable => StatusCode.Unavailable,
        AgentErrorKind.Timeout => StatusCode.DeadlineExceeded,
        AgentErrorKind.Cancelled => StatusCode.Cancelled,
        AgentErrorKind.Unimplemented => StatusCode.Unimplemented,
        _ => StatusCode.Internal,
    };
}
