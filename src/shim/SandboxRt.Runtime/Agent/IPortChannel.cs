namespace SandboxRt.Runtime.Agent;

/// <summary>One forwarded connection to a guest port (<see cref="IAgentPorts.ForwardPortAsync"/>).</summary>
public interface IPortChannel : IAsyncDisposable
{
    /// <summary>
    /// What the guest's server sent next, or null once it closed its side (the forwarding ended normally).
    /// Fails with <see cref="AgentException"/> when the agent ended it with an error.
    /// </summary>
    ValueTask<ReadOnlyMemory<byte>?> ReadAsync(CancellationToken cancellationToken = default);

    /// <summary>Sends data to the guest's server (at most <see cref="MaxWrite"/> bytes).</summary>
    Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);

    /// <summary>The host has nothing more to send: the guest's server reads its end of stream, and may still answer.</summary>
    Task CompleteAsync();

    /// <summary>The most one write may carry (the agent refuses more).</summary>
    public const int MaxWrite = 64 * 1024;
}
