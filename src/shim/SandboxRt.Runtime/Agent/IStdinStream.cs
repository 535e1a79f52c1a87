namespace SandboxRt.Runtime.Agent;

/// <summary>
/// A guest process's stdin as one call to the agent: writes go out in order and wait while the agent
/// (and, behind it, the process's pipe) is not taking more, so a slow reader in the guest holds back
/// the host's reader instead of filling the host's memory. Disposing without completing cancels the
/// call and leaves the process's stdin open.
/// </summary>
public interface IStdinStream : IAsyncDisposable
{
    Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);

    /// <summary>
    /// The end of input: returns once the agent has queued everything for the process and, when the
    /// stream was opened with closeAtEnd, closed its stdin. The number of bytes the agent took.
    /// </summary>
    Task<long> CompleteAsync(CancellationToken cancellationToken = default);
}
