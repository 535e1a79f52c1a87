namespace SandboxRt.Runtime.Agent;

/// <summary>A TCP port on the guest's loopback reached from the host (the CRI's PortForward): the agent's end.</summary>
public interface IAgentPorts
{
    /// <summary>
    /// Asks the agent to connect to <paramref name="port"/> on the guest's loopback (127.0.0.1, then ::1)
    /// and returns once it has: the connection's bytes both ways. Fails with <see cref="AgentException"/>:
    /// Unavailable when nothing accepts on that port, Unimplemented for a guest image from before
    /// 2026-12-07. <paramref name="cancellationToken"/> bounds the wait for the connect, not the connection.
    /// </summary>
    Task<IPortChannel> ForwardPortAsync(int port, CancellationToken cancellationToken = default);
}
