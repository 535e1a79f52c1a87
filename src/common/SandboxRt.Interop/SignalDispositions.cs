using Tmds.Linux;

namespace SandboxRt.Interop;

/// <summary>
/// Signal dispositions as the kernel holds them (raw rt_sigaction, so what .NET installed is visible too).
/// Why <see cref="TakeBack"/> exists: a process started with a signal ignored (every `cmd &amp;` of a
/// non-interactive shell ignores SIGINT and SIGQUIT) keeps it ignored under .NET, which respects an
/// inherited SIG_IGN and then never installs its handler, so a PosixSignalRegistration for it never
/// fires. Go's signal.Notify takes such a signal back, which is why runc forwards it. Resetting the
/// disposition to SIG_DFL before .NET first looks at it (its System.Native layer reads the disposition
/// once, when the console, Process or PosixSignalRegistration first initialise signal handling) lets
/// .NET install its handler as for any other signal.
/// </summary>
public static class SignalDispositions
{
    /// <summary>
    /// Every one of <paramref name="signals"/> that is ignored goes back to SIG_DFL, and all of them are
    /// unblocked on the calling thread (a blocked mask is inherited across execve too). Returns the
    /// signals that were ignored. Call it first thing in Main, before anything touches the console.
    /// </summary>
    public static unsafe IReadOnlyList<int> TakeBack(IEnumerable<int> signals)
    {
        var wasIgnored = new List<int>();
        byte* action = stackalloc byte[Interop.KernelSigactionBuffer];
        new Span<byte>(action, Interop.KernelSigactionBuffer).Clear();
        byte* set = stackalloc byte[Interop.SigsetSize];
        Interop.SigEmptySet(set);
        foreach (int signal in signals)
        {
            if (IsIgnored(signal))
            {
                Check.Io((int)Interop.SyscallRtSigaction(Interop.SysRtSigaction, signal, action, null, Interop.KernelSigsetSize), "rt_sigaction", $"signal {signal} to SIG_DFL");
                wasIgnored.Add(signal);
            }
            Check.Io(Interop.SigAddSet(set, signal), "sigaddset", $"signal {signal}");
        }
        int error = Interop.PthreadSigmask(LibC.SIG_UNBLOCK, set, null);
        if (error != 0)
            throw new SyscallException("pthread_sigmask", (Errno)error, "SIG_UNBLOCK");
        return wasIgnored;
    }

    /// <summary>True when <paramref name="signal"/>'s disposition is SIG_IGN.</summary>
    public static bool IsIgnored(int signal) => Handler(signal) == Interop.SIG_IGN;

    /// <summary>True when a handler is installed (neither SIG_DFL nor SIG_IGN).</summary>
    public static bool IsHandled(int signal) => Handler(signal) is not (0 or Interop.SIG_IGN);

    private static unsafe nint Handler(int signal)
    {
        byte* old = stackalloc byte[Interop.KernelSigactionBuffer];
        Check.Io((int)Interop.SyscallRtSigaction(Interop.SysRtSigaction, signal, null, old, Interop.KernelSigsetSize), "rt_sigaction", $"signal {signal}");
        return *(nint*)old;
    }
}
