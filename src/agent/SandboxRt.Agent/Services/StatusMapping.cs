using SandboxRt.Agent.Containers;
using SandboxRt.Agent.Protocol;
using SandboxRt.Grpc;
using SandboxRt.Interop;

namespace SandboxRt.Agent.Services;

/// <summary>
/// The one place where the agent's exceptions become gRPC status codes. Handlers throw domain or
/// system exceptions; the host sees a code it can act on and a message that names what failed.
/// </summary>
internal static class StatusMapping
{
    public static (StatusCode Status, string Detail) Map(Exception e) => e switch
    {
        InitFailedException init => (FromInit(init), init.Message),
        SyscallException s => (FromErrno(s.Errno), s.Message),
        SandboxRt.Cgroups.Resources.CgroupResourceException => (StatusCode.InvalidArgument, e.Message),
        SandboxRt.Cgroups.CgroupException => (StatusCode.Internal, e.Message),
        FileNotFoundException or DirectoryNotFoundException => (StatusCode.NotFound, e.Message),
        KeyNotFoundException => (StatusCode.NotFound, e.Message),
        ArgumentException or FormatException => (StatusCode.InvalidArgument, e.Message),
        InvalidOperationException => (StatusCode.FailedPrecondition, e.Message),
        NotSupportedException or NotImplementedException => (StatusCode.Unimplemented, e.Message),
        TimeoutException => (StatusCode.DeadlineExceeded, e.Message),
        Network.PortNotReachableException => (StatusCode.Unavailable, e.Message),
        UnauthorizedAccessException => (StatusCode.PermissionDenied, e.Message),
        _ => (StatusCode.Internal, e.GetType().Name + ": " + e.Message),
    };

    /// <summary>
    /// The rich error details of the failures the host acts on by kind (AgentErrorReason): a program that
    /// could not be executed (the init's "exec" step) and a signal for a process that has exited.
    /// </summary>
    public static byte[]? DetailsOf(Exception e)
    {
        var reason = e switch
        {
            InitFailedException { Step: "exec" } => AgentErrorReason.ExecFailed,
            ProcessExitedException => AgentErrorReason.ProcessExited,
            _ => null,
        };
        if (reason is null)
            return null;
        var (status, detail) = Map(e);
        return AgentErrorReason.StatusDetails((int)status, detail, reason);
    }

    /// <summary>A failed container init: exec's errno decides NotFound/PermissionDenied; a failure in a spec field is the caller's input.</summary>
    private static StatusCode FromInit(InitFailedException e) => e.Errno switch
    {
        (int)Errno.ENOENT => StatusCode.NotFound,
        (int)Errno.EACCES or (int)Errno.EPERM => StatusCode.PermissionDenied,
        _ => e.Step.Split('.', '[', ' ')[0] is "mounts" or "process" or "linux" or "root" or "hostname" or "domainname"
            ? StatusCode.InvalidArgument
            : StatusCode.FailedPrecondition,
    };

    private static StatusCode FromErrno(Errno errno) => errno switch
    {
        Errno.ENOENT or Errno.ESRCH or Errno.ENODEV or Errno.ENXIO => StatusCode.NotFound,
        Errno.EEXIST or Errno.EBUSY => StatusCode.AlreadyExists,
        Errno.EPERM or Errno.EACCES or Errno.EROFS => StatusCode.PermissionDenied,
        Errno.EINVAL or Errno.ENAMETOOLONG or Errno.ENOTDIR or Errno.EISDIR or Errno.ELOOP => StatusCode.InvalidArgument,
        Errno.ENOMEM or Errno.ENOSPC or Errno.EMFILE or Errno.ENFILE or Errno.EAGAIN or Errno.EDQUOT => StatusCode.ResourceExhausted,
        Errno.ENOSYS or Errno.EOPNOTSUPP => StatusCode.Unimplemented,
        Errno.ETIMEDOUT => StatusCode.DeadlineExceeded,
        _ => StatusCode.Internal,
    };
}
