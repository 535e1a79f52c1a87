using System.Runtime.InteropServices;
using System.Text;
using Tmds.Linux;

namespace SandboxRt.Interop;

/// <summary>What a process does to itself on its way to execve: directory, session, limits, flags, exec.</summary>
public static class ProcessControl
{
    private const int PR_SET_NAME = 15, PR_SET_DUMPABLE = 4, PR_SET_PDEATHSIG = 1;

    /// <summary>This process's parent (getppid).</summary>
    public static int ParentPid => Interop.GetPpid();

    public static void ChangeDirectory(string path) => Check.Io(Interop.Chdir(path), "chdir", path);

    public static void NewSession() => Check.Io(Interop.Setsid(), "setsid");

    public static unsafe void SetResourceLimit(int resource, ulong soft, ulong hard, string name)
    {
        var limit = stackalloc ulong[2];
        limit[0] = soft;
        limit[1] = hard;
        Check.Io(Interop.Prlimit(0, resource, limit, null), "prlimit", name);
    }

    /// <summary>PR_SET_DUMPABLE 0: nothing in the container can ptrace or read /proc/PID/mem of the init before exec.</summary>
    public static void SetDumpable(bool dumpable) => Check.Io(Interop.Prctl(PR_SET_DUMPABLE, dumpable ? 1UL : 0UL, 0, 0, 0), "prctl", "PR_SET_DUMPABLE");

    /// <summary>Sends <paramref name="signal"/> to this process when its parent dies.</summary>
    public static void SetParentDeathSignal(int signal) => Check.Io(Interop.Prctl(PR_SET_PDEATHSIG, (ulong)signal, 0, 0, 0), "prctl", "PR_SET_PDEATHSIG");

    public static void SetNoNewPrivileges() => Check.Io(Interop.Prctl(38 /* PR_SET_NO_NEW_PRIVS */, 1, 0, 0, 0), "prctl", "PR_SET_NO_NEW_PRIVS");

    public static void SetHostname(string name) => SetName(name, hostname: true);

    public static void SetDomainname(string name) => SetName(name, hostname: false);

    private static unsafe void SetName(string name, bool hostname)
    {
        var bytes = Encoding.UTF8.GetBytes(name);
        fixed (byte* p = bytes)
        {
            int result = hostname ? Interop.SetHostname(p, bytes.Length) : Interop.SetDomainname(p, bytes.Length);
            Check.Io(result, hostname ? "sethostname" : "setdomainname", name);
        }
    }

    /// <summary>
    /// Gives the program runc's signal state: every ignored signal back to its default action, and an
    /// empty mask on this thread. The .NET runtime ignores SIGPIPE, and an ignored signal (like the
    /// thread's mask) survives execve: `yes | head` would spin forever on EPIPE. Handled signals need
    /// nothing: execve resets them.
    /// </summary>
    public static unsafe void RestoreDefaultSignals()
    {
        byte* old = stackalloc byte[Interop.KernelSigactionBuffer];
        byte* action = stackalloc byte[Interop.KernelSigactionBuffer];
        new Span<byte>(action, Interop.KernelSigactionBuffer).Clear();
        for (int signal = 1; signal <= 64; signal++)
        {
            if (signal is 9 or 19) // SIGKILL and SIGSTOP cannot be ignored
                continue;
            new Span<byte>(old, Interop.KernelSigactionBuffer).Clear();
            if (Interop.SyscallRtSigaction(Interop.SysRtSigaction, signal, null, old, Interop.KernelSigsetSize) != 0)
                continue;
            if (*(nint*)old == Interop.SIG_IGN)
                Check.Io((int)Interop.SyscallRtSigaction(Interop.SysRtSigaction, signal, action, null, Interop.KernelSigsetSize), "rt_sigaction", $"signal {signal} to SIG_DFL");
        }
        byte* empty = stackalloc byte[Interop.SigsetSize];
        Interop.SigEmptySet(empty);
        int error = Interop.PthreadSigmask(LibC.SIG_SETMASK, empty, null);
        if (error != 0)
            throw new SyscallException("pthread_sigmask", (Errno)error, "SIG_SETMASK empty");
    }

    /// <summary>Replaces this process image. Returns only by throwing (the errno names why exec failed).</summary>
    public static unsafe void Execute(string path, IReadOnlyList<string> arguments, IReadOnlyList<string> environment)
    {
        var allocations = new List<nint>();
        try
        {
            byte** argv = ToArray(arguments, allocations);
            byte** envp = ToArray(environment, allocations);
            Interop.Execve(path, argv, envp);
            throw new SyscallException("execve", SyscallException.LastErrno, path);
        }
        finally
        {
            foreach (var p in allocations)
                NativeMemory.Free((void*)p);
        }
    }

    private static unsafe byte** ToArray(IReadOnlyList<string> values, List<nint> allocations)
    {
        var array = (byte**)NativeMemory.AllocZeroed((nuint)(values.Count + 1), (nuint)sizeof(nint));
        allocations.Add((nint)array);
        for (int i = 0; i < values.Count; i++)
        {
            var bytes = Encoding.UTF8.GetBytes(values[i]);
            var p = (byte*)NativeMemory.Alloc((nuint)bytes.Length + 1);
            allocations.Add((nint)p);
            bytes.CopyTo(new Span<byte>(p, bytes.Length));
            p[bytes.Length] = 0;
            array[i] = p;
        }
        return array;
    }
}
