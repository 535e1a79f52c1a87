using SandboxRt.Interop;
using SandboxRt.Runtime.Storage;

namespace SandboxRt.Shim.Logging;

/// <summary>
/// Where the shim daemon's log lines go: the fifo `log` in the bundle it was started from, which
/// containerd reads and copies into its own log (as it does for the runc shim). The fifo is opened
/// non-blocking, and a line that cannot be written at once (containerd is not reading, or has gone) is
/// dropped: logging never stalls the Task API. Without the fifo (started by hand) lines go to a file.
/// </summary>
internal sealed class ShimLogSink : IDisposable
{
    private readonly object _write = new();
    private readonly SafeFdHandle? _fifo;
    private readonly StreamWriter? _file;

    private ShimLogSink(SafeFdHandle? fifo, StreamWriter? file)
    {
        _fifo = fifo;
        _file = file;
    }

    /// <summary>Opens <paramref name="fifoPath"/> for writing, or appends to <paramref name="fallbackFile"/> when that fails.</summary>
    public static ShimLogSink Open(string fifoPath, string fallbackFile)
    {
        try
        {
            return new ShimLogSink(FileDescriptors.Open(fifoPath, FileDescriptors.WriteOnly | Tmds.Linux.LibC.O_NONBLOCK), null);
        }
        catch (IOException)
        {
            return OpenFile(fallbackFile);
        }
    }

    /// <summary>Appends to <paramref name="file"/> (a VM cache entry's log until a pod claims it).</summary>
    public static ShimLogSink OpenFile(string file)
    {
        PrivateFiles.CreateDirectory(Path.GetDirectoryName(file)!);
        return new ShimLogSink(null, new StreamWriter(PrivateFiles.Open(file, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true });
    }

    public void Write(string line)
    {
        lock (_write)
        {
            if (_file is not null)
            {
                _file.Write(line);
                return;
            }
            try
            {
                FileDescriptors.Write(_fifo!, System.Text.Encoding.UTF8.GetBytes(line), "shim log");
            }
            catch (SyscallException)
            {
                // EAGAIN (nobody reads fast enough) or EPIPE (containerd went away): dropped
            }
        }
    }

    public void Dispose()
    {
        _fifo?.Dispose();
        _file?.Dispose();
    }
}
