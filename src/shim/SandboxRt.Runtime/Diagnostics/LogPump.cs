using SandboxRt.Interop;

namespace SandboxRt.Runtime.Diagnostics;

/// <summary>
/// Copies what a child process writes into a pipe or socket to a <see cref="RotatingLog"/>, on a thread of
/// its own, until the writer closes its end (the child exited). The child never writes to a file: when
/// this process stops reading (it exited, or stalls), the child's writes fail or wait, and nothing grows.
/// </summary>
public static class LogPump
{
    private const int ChunkBytes = 16 * 1024;

    /// <summary>
    /// A pipe for a child's stdout and stderr into a bounded log: returns the child's end (non-blocking:
    /// when this process stops reading, the child's messages are dropped, the child never waits; the
    /// caller closes its copy once the child has it) and the copying task.
    /// </summary>
    public static (SafeFdHandle ChildEnd, Task Pumped) StartPipe(string logPath, long maxBytes, string what)
    {
        var (read, write) = Pipes.Create();
        Descriptors.SetNonBlocking(write);
        return (write, Start(read, new RotatingLog(logPath, maxBytes), what));
    }

    /// <summary>Starts copying; the task completes at end of stream. Takes ownership of both.</summary>
    public static Task Start(SafeFdHandle source, RotatingLog log, string what) =>
        Task.Factory.StartNew(() =>
        {
            using (source)
            using (log)
            {
                var buffer = new byte[ChunkBytes];
                try
                {
                    while (true)
                    {
                        int n = FileDescriptors.Read(source, buffer, what);
                        if (n == 0)
                            return;
                        log.Write(buffer.AsSpan(0, n));
                    }
                }
                catch (Exception e) when (e is SyscallException or IOException)
                {
                    // the writer went away abruptly (ECONNRESET), or the state directory was removed under us
                }
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
