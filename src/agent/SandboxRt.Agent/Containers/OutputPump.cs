using System.Threading.Channels;
using SandboxRt.Interop;

namespace SandboxRt.Agent.Containers;

/// <summary>
/// Copies one output descriptor (a pipe, or a pty master) into a bounded channel on a dedicated thread
/// (blocking reads must not sit on the one-vCPU guest's thread pool). When the channel is full the
/// pump stops reading and the writer in the container blocks: nothing is dropped.
/// </summary>
internal sealed class OutputPump
{
    public const int ChunkSize = 64 * 1024;
    private readonly Channel<byte[]> _chunks = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(64) { SingleReader = true, SingleWriter = true });
    private int _attached;

    public OutputPump(SafeFdHandle source, string name)
    {
        new Thread(() => Pump(source, name)) { IsBackground = true, Name = name }.Start();
    }

    /// <summary>The output, in order, until end of stream. One reader only.</summary>
    public ChannelReader<byte[]> Attach(string what)
    {
        if (Interlocked.Exchange(ref _attached, 1) != 0)
            throw new InvalidOperationException($"{what} already has a reader");
        return _chunks.Reader;
    }

    private void Pump(SafeFdHandle source, string name)
    {
        using (source)
        {
            var buffer = new byte[ChunkSize];
            try
            {
                while (true)
                {
                    int n = FileDescriptors.Read(source, buffer, name);
                    if (n == 0)
                        break;
                    var chunk = buffer.AsSpan(0, n).ToArray();
                    _chunks.Writer.WriteAsync(chunk).AsTask().GetAwaiter().GetResult();
                }
            }
            catch (SyscallException e) when (e.Errno == Errno.EIO)
            {
                // a pty master reads EIO once the last slave descriptor is closed: end of output
            }
            catch (Exception e) when (e is SyscallException or ChannelClosedException)
            {
                AgentLog.Trace($"{name}: {e.Message}");
            }
        }
        _chunks.Writer.TryComplete();
    }
}
