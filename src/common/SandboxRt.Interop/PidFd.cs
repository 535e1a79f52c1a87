namespace SandboxRt.Interop;

/// <summary>
/// A descriptor that refers to one process (pidfd_open, Linux 5.3+). A signal sent through it reaches
/// that process or nobody: once the process is gone its pid may be reused, but the descriptor never
/// follows the number to the new owner. How a process that is not our child is signalled safely.
/// </summary>
public sealed class PidFd : IDisposable
{
    private readonly SafeFdHandle _fd;

    private PidFd(SafeFdHandle fd, int pid)
    {
        _fd = fd;
        Pid = pid;
    }

    public int Pid { get; }

    /// <summary>Opens a pidfd for <paramref name="pid"/>; null when there is no such process (ESRCH).</summary>
    public static PidFd? TryOpen(int pid)
    {
        if (pid <= 0)
            return null;
        long fd = Interop.SyscallPidfdOpen(Interop.SysPidfdOpen, pid, 0);
        if (fd < 0)
        {
            var errno = SyscallException.LastErrno;
            if (errno == Errno.ESRCH)
                return null;
            throw new SyscallException("pidfd_open", errno, pid.ToString());
        }
        return new PidFd(new SafeFdHandle((int)fd), pid);
    }

    /// <summary>Sends <paramref name="signal"/> to this very process; false when it has already exited.</summary>
    public bool Signal(int signal)
    {
        using var fd = new FdRef(_fd);
        if (Interop.SyscallPidfdSendSignal(Interop.SysPidfdSendSignal, fd.Fd, signal, 0, 0) == 0)
            return true;
        var errno = SyscallException.LastErrno;
        if (errno == Errno.ESRCH)
            return false;
        throw new SyscallException("pidfd_send_signal", errno, Pid.ToString(), signal.ToString());
    }

    /// <summary>True once the process has exited (the pidfd polls readable then), zombie or reaped.</summary>
    public bool HasExited => (Poller.Poll(_fd, PollEvents.In, 0) & (PollEvents.In | PollEvents.Hup)) != 0;

    /// <summary>
    /// Completes when the process has exited: a thread of its own blocks in poll(2) on the descriptor
    /// until then (the descriptor stays open for it even if this is disposed first).
    /// </summary>
    public Task WaitExitedAsync() => Task.Factory.StartNew(() =>
    {
        while ((Poller.Poll(_fd, PollEvents.In, -1) & (PollEvents.In | PollEvents.Hup)) == 0)
        {
        }
    }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    public void Dispose() => _fd.Dispose();
}
