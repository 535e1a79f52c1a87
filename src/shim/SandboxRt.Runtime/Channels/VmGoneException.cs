namespace SandboxRt.Runtime.Channels;

/// <summary>The hypervisor of the VM that runs the agent has exited: nothing will ever answer on its channel.</summary>
public sealed class VmGoneException(string sandboxId, string howItEnded)
    : AgentPeerGoneException($"sandbox {sandboxId}: its VM is gone ({howItEnded}); the agent cannot be reached")
{
    public string SandboxId { get; } = sandboxId;
}
