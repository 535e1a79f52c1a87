namespace SandboxRt.Runtime.Agent;

/// <summary>What the guest reports on its own: container exits and OOM kills, as they happen.</summary>
public interface IAgentEvents
{
    IAsyncEnumerable<AgentEvent> EventsAsync(CancellationToken cancellationToken = default);
}
