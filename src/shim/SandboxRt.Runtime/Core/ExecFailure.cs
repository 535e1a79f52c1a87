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

    /// <summary>
    /// An agent error from exec that is not the program's own exec failure, with the container named: the
    /// transport's text alone names none (a relay that died while exec connected: HTTP/2's handshake never
    /// completed). The program's own failure keeps the agent's message, which names the program.
    /// </summary>
    public static AgentException InContainer(AgentException error, string containerId) =>
        error.IsExecFailure ? error : new AgentException(error.Kind, error.Method, $"cannot exec in container {containerId}: {error.Message}", error, error.Reason);
}
