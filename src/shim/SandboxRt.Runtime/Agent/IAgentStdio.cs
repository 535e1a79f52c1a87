namespace SandboxRt.Runtime.Agent;

/// <summary>A guest process's stdio: its output streams, its stdin, its terminal size.</summary>
public interface IAgentStdio
{
    IAsyncEnumerable<ReadOnlyMemory<byte>> ReadOutputAsync(string id, string execId, bool stderr, CancellationToken cancellationToken = default);
    Task WriteStdinAsync(string id, string execId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);
    Task CloseStdinAsync(string id, string execId, CancellationToken cancellationToken = default);
    Task ResizeAsync(string id, string execId, int rows, int columns, CancellationToken cancellationToken = default);
}
