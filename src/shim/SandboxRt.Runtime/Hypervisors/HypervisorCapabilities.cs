namespace SandboxRt.Runtime.Hypervisors;

/// <summary>What a driver can give a VM on this host.</summary>
public sealed record HypervisorCapabilities(
    string Name,
    AcceleratorChoice Accelerator,
    bool HasVhostVsock,
    string GuestChannel);
