namespace SandboxRt.Runtime.Agent;

/// <summary>A guest process's stdio: its output streams, its stdin, its terminal size.</summary>
public interface IAgentStdio
{
    IAsyncEnumerable<ReadOnlyMemory<byte>> ReadOutputAsync(string id, string execId, bool stderr, CancellationToken cancellationToken = default);

    /// <summary>
    /// Opens the process's stdin as one stream (cancelled with <paramref name="cancellationToken"/>).
    /// <paramref name="closeAtEnd"/>: completing the stream closes the process's stdin (EOF; ^D on a terminal).
    /// </summary>
    IStdinStream OpenStdin(string id, string execId, bool closeAtEnd, CancellationToken cancellationToken = default);

    Task ResizeAsync(string id, string execId, int rows, int columns, CancellationToken cancellationToken = default);
}
