// A process's stdin, from containerd's stdin fifo to the agent.
//
// The fifo is opened O_RDONLY|O_NONBLOCK, so the open never waits for a writer, and read on a dedicated
// thread through poll(2) with a short timeout, so the reader can always be stopped (a blocking read on a
// fifo cannot be interrupted by closing it). End of input is either the fifo's end (every writer has
// come and gone: POLLHUP with nothing left to read) or containerd's CloseIO, after which whatever is
// still in the fifo is forwarded before the process's stdin is closed in the guest. Everything goes
// through one stdin stream to the agent (StreamStdin): a write waits while the process does not read, and
// meanwhile the fifo is not read either, so its writer is held back by the fifo's own buffer.
using Microsoft.Extensions.Logging;
using SandboxRt.Interop;
using SandboxRt.Runtime.Agent;

namespace SandboxRt.Shim.Io;

internal sealed class FifoInput
{
    private const int PollMs = 200;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _closeRequested;

    private FifoInput()
    {
    }

    /// <summary>Completes once the process's stdin is closed in the guest, or the reader was stopped.</summary>
    public Task Completion => _done.Task;

    /// <summary>Opens the fifo (failing here, naming it, when it cannot be opened) and starts forwarding.</summary>
    public static FifoInput Start(string path, IAgentStdio agent, string containerId, string execId, ILogger log)
    {
        var fd = FileDescriptors.Open(path, FileDescriptors.ReadOnly | Tmds.Linux.LibC.O_NONBLOCK);
        var input = new FifoInput();
        var thread = new Thread(() => input.Run(fd, path, agent, containerId, execId, log)) { IsBackground = true, Name = "stdin-" + containerId[..Math.Min(12, containerId.Length)] };
        thread.Start();
        return input;
    }

    /// <summary>containerd's CloseIO: forward what is left, then close the process's stdin.</summary>
    public void RequestClose() => _closeRequested = true;

    /// <summary>Stops reading without closing the process's stdin (the process is gone).</summary>
    public void Stop() => _stop.Cancel();

    private void Run(SafeFdHandle fd, string path, IAgentStdio agent, string containerId, string execId, ILogger log)
    {
        var buffer = new byte[64 * 1024];
        var stdin = agent.OpenStdin(containerId, execId, closeAtEnd: true, cancellationToken: _stop.Token);
        try
        {
            using (fd)
            {
                while (!_stop.IsCancellationRequested)
                {
                    var ready = Poller.Poll(fd, PollEvents.In, PollMs);
                    if ((ready & PollEvents.In) != 0)
                    {
                        int n;
                        try
                        {
                            n = FileDescriptors.Read(fd, buffer, path);
                        }
                        catch (SyscallException e) when (e.Errno == Errno.EAGAIN)
                        {
                            continue;
                        }
                        if (n == 0)
                            break;
                        stdin.WriteAsync(buffer.AsMemory(0, n), _stop.Token).GetAwaiter().GetResult();
                        continue;
                    }
                    if ((ready & (PollEvents.Hup | PollEvents.Err)) != 0)
                        break;
                    if (_closeRequested)
                        break;
                }
            }
            if (!_stop.IsCancellationRequested)
                stdin.CompleteAsync(_stop.Token).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is OperationCanceledException or AgentException or IOException)
        {
            if (!_stop.IsCancellationRequested)
                log.LogDebug("stdin of {Id}/{Exec}: {Error}", containerId, execId, e.Message);
        }
        finally
        {
            stdin.DisposeAsync().AsTask().GetAwaiter().GetResult(); // after Stop: cancels the call, stdin stays open
            _done.TrySetResult();
        }
    }
}
