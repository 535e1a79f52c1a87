namespace SandboxRt.Interop;

/// <summary>waitpid(2) and kill(2) for processes this process started or inherited as a subreaper.</summary>
public static class ChildProcesses
{
    private const int WNOHANG = 1;

    /// <summary>
    /// Reaps one exited child (any child when <paramref name="pid"/> is -1). Returns false when no child
    /// has exited yet (with <paramref name="block"/> false) or there are no children at all.
    /// </summary>
    public static unsafe bool TryWait(int pid, bool block, out int reapedPid, out WaitStatus status)
    {
        int raw;
        while (true)
        {
            int result = Interop.WaitPid(pid, &raw, block ? 0 : WNOHANG);
            if (result > 0)
            {
                reapedPid = result;
                status = new WaitStatus(raw);
                return true;
            }
            if (result == 0)
                break;
            var errno = SyscallException.LastErrno;
            if (errno == Errno.EINTR)
                continue;
            if (errno == Errno.ECHILD)
                break;
            throw new SyscallException("waitpid", errno, pid.ToString());
        }
        reapedPid = 0;
        status = default;
        return false;
    }

    /// <summary>
    /// Blocks until the child <paramref name="pid"/> has exited and returns how, leaving it a zombie
    /// (waitid with WNOWAIT): its pid, and so its process group's id, stays taken until it is reaped.
    /// </summary>
    public static unsafe WaitStatus WaitExitedKeepingZombie(int pid)
    {
        Interop.SigInfo info;
        while (true)
        {
            info = default;
            if (Interop.WaitId(Interop.P_PID, pid, &info, Interop.WEXITED | Interop.WNOWAIT) == 0)
                break;
            var errno = SyscallException.LastErrno;
            if (errno != Errno.EINTR)
                throw new SyscallException("waitid", errno, pid.ToString(), "WEXITED|WNOWAIT");
        }
        const int CLD_EXITED = 1, CLD_DUMPED = 3;
        return info.Code switch
        {
            CLD_EXITED => new WaitStatus((info.Status & 0xff) << 8),
            CLD_DUMPED => new WaitStatus((info.Status & 0x7f) | 0x80),
            _ => new WaitStatus(info.Status & 0x7f),
        };
    }

    /// <summary>Sends <paramref name="signal"/>; returns false when the process does not exist (ESRCH).</summary>
    public static bool Signal(int pid, int signal)
    {
        if (Interop.Kill(pid, signal) == 0)
            return true;
        var errno = SyscallException.LastErrno;
        if (errno == Errno.ESRCH)
            return false;
        throw new SyscallException("kill", errno, pid.ToString(), signal.ToString());
    }

    /// <summary>True when a process with this pid exists (kill with signal 0).</summary>
    public static bool Exists(int pid) => pid > 0 && (Interop.Kill(pid, 0) == 0 || SyscallException.LastErrno == Errno.EPERM);

    /// <summary>Sets a process's nice value (higher is lower priority).</summary>
    public static void SetNice(int pid, int nice) =>
        Check.Io(Interop.SetPriority(Interop.PRIO_PROCESS, (uint)pid, nice), "setpriority", pid.ToString(), nice.ToString());

    /// <summary>
    /// Sets the nice value of every thread of process <paramref name="pid"/> (Linux keeps one per thread:
    /// setpriority on a pid reaches only the thread of that id); threads that end meanwhile are skipped.
    /// Threads made later inherit their creator's.
    /// </summary>
    public static void SetNiceAllThreads(int pid, int nice)
    {
        IEnumerable<string> threads;
        try
        {
            threads = Directory.EnumerateDirectories($"/proc/{pid}/task").ToList();
        }
        catch (DirectoryNotFoundException)
        {
            return; // the process is gone
        }
        foreach (var thread in threads)
            if (int.TryParse(Path.GetFileName(thread), out int tid) && Interop.SetPriority(Interop.PRIO_PROCESS, (uint)tid, nice) != 0 && SyscallException.LastErrno != Errno.ESRCH)
                throw new SyscallException("setpriority", SyscallException.LastErrno, tid.ToString(), nice.ToString());
    }

    public static int CurrentPid => Interop.GetPid();

    public static uint EffectiveUid => Interop.GetEuid();
}
