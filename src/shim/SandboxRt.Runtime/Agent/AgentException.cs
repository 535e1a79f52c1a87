using Protocol = SandboxRt.Agent.Protocol;

namespace SandboxRt.Runtime.Agent;

/// <summary>
/// A call the guest agent refused or could not complete. The message is the agent's own (for people);
/// code acts on <see cref="Kind"/> and <see cref="Reason"/>, never on the text.
/// </summary>
public sealed class AgentException(AgentErrorKind kind, string method, string message, Exception? inner = null, string? reason = null) : Exception(message, inner)
{
    public AgentErrorKind Kind { get; } = kind;
    public string Method { get; } = method;

    /// <summary>The agent's reason for the failure (SandboxRt.Agent.Protocol.AgentErrorReason), when it gave one this host knows.</summary>
    public string? Reason { get; } = reason;

    /// <summary>The program could not be executed: not found (<see cref="Kind"/> NotFound) or not allowed to run.</summary>
    public bool IsExecFailure => Reason == Protocol.AgentErrorReason.ExecFailed;
}
