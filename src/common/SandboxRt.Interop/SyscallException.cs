using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

/// <summary>
/// A failed system call. The message names the call, its path-like arguments and the errno, in the
/// form <c>mount("proc", "/run/c1/rootfs/proc"): EPERM (Operation not permitted)</c>.
/// </summary>
public sealed class SyscallException : IOException
{
    public SyscallException(string syscall, Errno errno, params string?[] arguments)
        : base(Format(syscall, errno, arguments))
    {
        Syscall = syscall;
        Errno = errno;
        Arguments = arguments;
        HResult = (int)errno;
    }

    /// <summary>The system call (or libc function) that failed.</summary>
    public string Syscall { get; }

    /// <summary>The errno it returned.</summary>
    public Errno Errno { get; }

    /// <summary>The arguments the message quotes (paths, names), in call order.</summary>
    public IReadOnlyList<string?> Arguments { get; }

    /// <summary>The errno of the last P/Invoke on this thread, as a typed value.</summary>
    public static Errno LastErrno => (Errno)Marshal.GetLastPInvokeError();

    private static string Format(string syscall, Errno errno, string?[] arguments)
    {
        var args = string.Join(", ", arguments.Select(a => a is null ? "NULL" : "\"" + a + "\""));
        var name = Enum.IsDefined(errno) ? errno.ToString() : "errno " + (int)errno;
        return $"{syscall}({args}): {name} ({Marshal.GetPInvokeErrorMessage((int)errno)})";
    }
}
