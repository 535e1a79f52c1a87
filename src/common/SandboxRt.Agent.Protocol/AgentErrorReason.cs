using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;

namespace SandboxRt.Agent.Protocol;

/// <summary>
/// Why an agent call failed, where the host must act on more than the status code: sent in gRPC's rich
/// error model (a google.rpc.Status with an ErrorInfo of this domain, in grpc-status-details-bin), so
/// that the host never classifies an error by its message text.
/// </summary>
public static class AgentErrorReason
{
    public const string Domain = "sandboxrt.agent";
    /// <summary>The container's program could not be executed (the status code says not found or not allowed).</summary>
    public const string ExecFailed = "EXEC_FAILED";
    /// <summary>The process a signal was meant for has already exited.</summary>
    public const string ProcessExited = "PROCESS_EXITED";

    /// <summary>The serialized google.rpc.Status carrying <paramref name="reason"/>.</summary>
    public static byte[] StatusDetails(int code, string message, string reason)
    {
        var status = new Status { Code = code, Message = message };
        status.Details.Add(Any.Pack(new ErrorInfo { Reason = reason, Domain = Domain }));
        return status.ToByteArray();
    }

    /// <summary>The reason in a serialized google.rpc.Status, or null (none, another domain, or not parseable: the guest's bytes).</summary>
    public static string? FromStatusDetails(byte[]? details)
    {
        if (details is not { Length: > 0 })
            return null;
        try
        {
            foreach (var any in Status.Parser.ParseFrom(details).Details)
                if (any.TryUnpack<ErrorInfo>(out var info) && info.Domain == Domain)
                    return info.Reason switch
                    {
                        ExecFailed => ExecFailed,
                        ProcessExited => ProcessExited,
                        _ => null, // only reasons this host knows
                    };
        }
        catch (InvalidProtocolBufferException)
        {
        }
        return null;
    }
}
