using Microsoft.Extensions.Logging;
using SandboxRt.Grpc;
using SandboxRt.Ttrpc.Wire;

namespace SandboxRt.Ttrpc.Server;

/// <summary>The one place where what a handler threw becomes the status on the wire.</summary>
internal static class CallStatus
{
    public static Status Create(StatusCode code, string message) => new() { Code = (int)code, Message = message };

    /// <summary>
    /// <see cref="TtrpcException"/> carries its own status. A cancellation caused by the call's own token
    /// keeps Go's context error (ttrpc services.go, convertCode): DEADLINE_EXCEEDED "context deadline
    /// exceeded" when the client's timeout ran out, CANCELLED "context canceled" when the connection went
    /// away. Anything else is a bug in the handler: UNKNOWN with its message, and logged.
    /// </summary>
    public static Status FromException(Exception exception, TtrpcCallContext context, bool deadlineExpired, ILogger log)
    {
        switch (exception)
        {
            case TtrpcException { Code: not StatusCode.OK } e:
                log.LogDebug("ttrpc: {Method} -> {Code}: {Message}", context.FullMethod, e.Code, e.Message);
                return Create(e.Code, e.Message);
            case OperationCanceledException when context.CancellationToken.IsCancellationRequested:
                log.LogDebug("ttrpc: {Method} cancelled ({Reason})", context.FullMethod, deadlineExpired ? "deadline" : "connection closed");
                return deadlineExpired
                    ? Create(StatusCode.DeadlineExceeded, "context deadline exceeded")
                    : Create(StatusCode.Cancelled, "context canceled");
            default:
                log.LogError(exception, "ttrpc: {Method} failed", context.FullMethod);
                return Create(StatusCode.Unknown, exception.Message);
        }
    }
}
