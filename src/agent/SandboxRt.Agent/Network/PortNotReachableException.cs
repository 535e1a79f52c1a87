namespace SandboxRt.Agent.Network;

/// <summary>No server accepts connections on the guest port the host asked for (ForwardPort): the call's status is UNAVAILABLE.</summary>
internal sealed class PortNotReachableException(string message) : Exception(message);
