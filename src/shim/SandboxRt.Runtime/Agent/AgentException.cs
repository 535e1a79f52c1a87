namespace SandboxRt.Runtime.Agent;

/// <summary>A call the guest agent refused or could not complete. The message is the agent's own.</summary>
public sealed class AgentException(AgentErrorKind kind, string method, string message, Exception? inner = null) : Exception(message, inner)
{
    public AgentErrorKind Kind { get; } = kind;
    public string Method { get; } = method;
}
