namespace SandboxRt.Runtime.Channels;

/// <summary>
/// The relay that holds a container's agent channel is gone (killed, or exited with its VM): a call
/// through its proxy can never be answered. Not transient: connectors and calls fail at once with it.
/// </summary>
public sealed class RelayGoneException(string containerId, int relayPid, string proxySocket)
    : AgentPeerGoneException($"container {containerId}: its relay (pid {relayPid}) is gone, nothing serves {proxySocket}; " +
                $"the container cannot be reached (sandboxrt delete --force {containerId} removes it)")
{
    public string ContainerId { get; } = containerId;
    public int RelayPid { get; } = relayPid;
}
