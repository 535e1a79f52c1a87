namespace SandboxRt.Runtime.Channels;

/// <summary>
/// What serves a sandbox's agent channel is gone for good (its relay, or its VM): a call can never be
/// answered. Not transient: connectors and calls fail at once with it instead of retrying.
/// </summary>
public abstract class AgentPeerGoneException(string message) : InvalidOperationException(message);
