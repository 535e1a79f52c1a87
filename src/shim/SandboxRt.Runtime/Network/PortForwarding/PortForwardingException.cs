namespace SandboxRt.Runtime.Network.PortForwarding;

/// <summary>A pod's port forwarding could not be set up (no iptables, a rule that failed): the pod runs without it.</summary>
public sealed class PortForwardingException(string message) : Exception(message);
