namespace SandboxRt.Runtime.Agent;

/// <summary>
/// One forwarding of guest DNS queries (<see cref="IAgentDns.ForwardDnsAsync"/>). Everything read from it
/// comes from the guest. Disposing cancels what is left of it (after <see cref="CompleteAsync"/>, nothing).
/// </summary>
public interface IDnsQueryChannel : IAsyncDisposable
{
    /// <summary>The next query, or null once the agent ended the forwarding.</summary>
    ValueTask<GuestDnsQuery?> ReadAsync(CancellationToken cancellationToken = default);

    /// <summary>Sends the answer to query <paramref name="id"/>. Not concurrently with another answer.</summary>
    Task AnswerAsync(uint id, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default);

    /// <summary>No more answers: the agent stops listening and ends the forwarding (<see cref="ReadAsync"/> then returns null).</summary>
    Task CompleteAsync();
}
