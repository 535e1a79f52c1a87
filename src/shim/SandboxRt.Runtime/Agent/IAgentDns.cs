namespace SandboxRt.Runtime.Agent;

/// <summary>Docker's embedded DNS server (127.0.0.11) reached from the guest: the agent's end of the forwarding.</summary>
public interface IAgentDns
{
    /// <summary>
    /// Asks the agent to listen on 127.0.0.11:53 in the guest's network namespace and returns once it
    /// does: the queries guest clients send there, and where their answers go. Disposing it ends the
    /// forwarding and the agent stops listening. Fails with <see cref="AgentException"/> (Unimplemented
    /// for a guest image from before 2026-12-05). <paramref name="cancellationToken"/> bounds the wait
    /// for the agent to listen, not the forwarding.
    /// </summary>
    Task<IDnsQueryChannel> ForwardDnsAsync(CancellationToken cancellationToken = default);
}
