using System.Threading.Channels;
using SandboxRt.Interop;

namespace SandboxRt.Agent.Containers;

/// <summary>
/// Feeds a process's stdin (a pipe, or a pty master) from a bounded channel on a dedicated thread, so
/// that a process that does not read blocks the writer (WriteStdin and StreamStdin wait), not a pool
/// thread. The queue holds <see cref="Capacity"/> chunks (StreamStdin's are at most 1 MiB each).
/// Closing completes the channel; the descriptor closes once everything before it was written.
/// </summary>
internal sealed class StdinWriter
{
    public const int Capacity = 4;
    private readonly Channel<byte[]> _chunks = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(Capacity) { SingleReader = true });
    private readonly bool _closeDescriptor;

    /// <param name="closeDescriptor">False for a pty master, which is shared with the output pump and must stay open.</param>
    public StdinWriter(SafeFdHandle target, string name, bool closeDescriptor)
    {
        _closeDescriptor = closeDescriptor;
        new Thread(() => Drain(target, name)) { IsBackground = true, Name = name }.Start();
    }

    public async Task WriteAsync(byte[] data, CancellationToken cancellationToken)
    {
        try
        {
            await _chunks.Writer.WriteAsync(data, cancellationToken);
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException("stdin is closed");
        }
    }

    public void Close() => _chunks.Writer.TryComplete();

    private void Drain(SafeFdHandle target, string name)
    {
        try
        {
            while (_chunks.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                while (_chunks.Reader.TryRead(out var chunk))
                    FileDescriptors.Write(target, chunk, name);
        }
        catch (SyscallException e)
        {
            // EPIPE: the process closed its stdin or exited; later writes are dropped as a closed pipe drops them.
            AgentLog.Trace($"{name}: {e.Message}");
            _chunks.Writer.TryComplete();
            while (_chunks.Reader.TryRead(out _)) { }
        }
        finally
        {
            if (_closeDescriptor)
                target.Dispose();
        }
    }
}
