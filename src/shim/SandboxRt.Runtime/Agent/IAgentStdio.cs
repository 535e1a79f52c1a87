namespace SandboxRt.Runtime.Agent;

/// <summary>A guest process's stdio: its output streams, its stdin, its terminal size.</summary>
public interface IAgentStdio
{
    /// <summary>The process's stdout or stderr; <paramref name="awaitStart"/> as in <see cref="IAgentProcesses.WaitAsync"/>.</summary>
    IAsyncEnumerable<ReadOnlyMemory<byte>> ReadOutputAsync(string id, string execId, bool stderr, bool awaitStart = false, CancellationToken cancellationToken = default);

    /// <summary>
    /// Opens the process's stdin as one stream (cancelled with <paramref name="cancellationToken"/>).
    /// <paramref name="closeAtEnd"/>: completing the stream closes the process's stdin (EOF; ^D on a terminal).
    /// <paramref name="awaitStart"/> as in <see cref="IAgentProcesses.WaitAsync"/>.
    /// </summary>
    IStdinStream OpenStdin(string id, string execId, bool closeAtEnd, bool awaitStart = false, CancellationToken cancellationToken = default);

    Task ResizeAsync(string id, string execId, int rows, int columns, CancellationToken cancellationToken = default);
}
