namespace SandboxRt.Interop;

/// <summary>Turns the -1/errno convention of libc into SyscallException.</summary>
internal static class Check
{
    /// <summary>Throws when <paramref name="result"/> is negative; returns it otherwise.</summary>
    public static int Io(int result, string syscall, params string?[] arguments)
    {
        if (result < 0)
            throw new SyscallException(syscall, SyscallException.LastErrno, arguments);
        return result;
    }

    /// <summary>True when the last call failed with EINTR and should simply be repeated.</summary>
    public static bool Interrupted(int result) => result < 0 && SyscallException.LastErrno == Errno.EINTR;

    public static long Io(long result, string syscall, params string?[] arguments)
    {
        if (result < 0)
            throw new SyscallException(syscall, SyscallException.LastErrno, arguments);
        return result;
    }
}
