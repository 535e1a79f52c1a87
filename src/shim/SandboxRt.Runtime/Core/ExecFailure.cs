using SandboxRt.Runtime.Agent;

namespace SandboxRt.Runtime.Core;

/// <summary>
/// A process that could not exec in the guest, as a shell reports it (and as runc run and runc exec do):
/// 127 when the program was not found, 126 when it was found but could not run. `sandboxrt run` and
/// `sandboxrt exec` exit with it; anything else is not an exec failure.
/// </summary>
public static class ExecFailure
{
    public const int NotFoundStatus = 127;
    public const int CannotRunStatus = 126;

    /// <summary>The shell's status for an agent error from an exec, or null when the error is not one.</summary>
    public static int? StatusOf(Exception error) => error switch
    {
        AgentException { IsExecFailure: false } => null,
        AgentException { Kind: AgentErrorKind.NotFound } => NotFoundStatus,
        AgentException => CannotRunStatus,
        _ => null,
    };
}
