namespace SandboxRt.Interop;

/// <summary>
/// Installs a seccomp filter on the calling thread with seccomp(SECCOMP_SET_MODE_FILTER).
/// <para>
/// Meant for a freshly exec'd, single-purpose process, on the thread that calls execve next: the filter
/// binds that thread (and, with SECCOMP_FILTER_FLAG_TSYNC, every thread of the process) and survives
/// execve. Everything the thread still does after <see cref="Install"/> is filtered too, so prepare the
/// execve arguments first and call execve straight after; the profile must allow execve itself. The
/// .NET runtime's own threads (GC, finalizer, tiered compilation) keep running unfiltered unless TSYNC
/// is passed, and a filter synchronized onto them can kill the runtime before execve: avoid TSYNC here.
/// </para>
/// </summary>
public static class SeccompFilter
{
    /// <summary>BPF_MAXINSNS (linux/bpf_common.h): the longest classic BPF program the kernel accepts.</summary>
    public const int MaxInstructions = 4096;

    /// <summary>
    /// prctl(PR_SET_NO_NEW_PRIVS, 1): execve can no longer grant privileges (setuid bits, file capabilities).
    /// Without it, installing a filter needs CAP_SYS_ADMIN. It cannot be undone and is inherited.
    /// </summary>
    public static void SetNoNewPrivileges() =>
        Check.Io(Interop.Prctl(Interop.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl", "PR_SET_NO_NEW_PRIVS");

    /// <summary>
    /// Installs <paramref name="program"/> with the SECCOMP_FILTER_FLAG_* bits in <paramref name="flags"/>.
    /// Filters stack: a thread that already has filters gets this one as well, and the strictest result wins.
    /// Fails with EACCES when the caller has neither no_new_privs nor CAP_SYS_ADMIN, EINVAL for a
    /// program the kernel rejects or unknown flags, EFAULT/ENOMEM as documented in seccomp(2).
    /// </summary>
    public static unsafe void Install(ReadOnlySpan<SockFilterInstruction> program, uint flags)
    {
        if (program.IsEmpty || program.Length > MaxInstructions)
            throw new ArgumentOutOfRangeException(nameof(program), program.Length, $"a seccomp filter has 1 to {MaxInstructions} instructions");
        fixed (SockFilterInstruction* instructions = program)
        {
            var fprog = new Interop.SockFprog { Length = (ushort)program.Length, Filter = instructions };
            long result = Interop.SyscallSeccomp(Interop.SysSeccomp, Interop.SECCOMP_SET_MODE_FILTER, flags, &fprog);
            if (result < 0)
                throw new SyscallException("seccomp", SyscallException.LastErrno, "SECCOMP_SET_MODE_FILTER", $"flags=0x{flags:x}");
            // With TSYNC, a thread that cannot adopt the filter makes the call return its thread id instead of
            // failing with an errno; SECCOMP_FILTER_FLAG_TSYNC_ESRCH turns exactly this case into ESRCH.
            if (result > 0 && (flags & Interop.SECCOMP_FILTER_FLAG_TSYNC) != 0)
                throw new SyscallException("seccomp", Errno.ESRCH, "SECCOMP_SET_MODE_FILTER", $"flags=0x{flags:x}", $"thread {result} could not be synchronized");
        }
    }
}
