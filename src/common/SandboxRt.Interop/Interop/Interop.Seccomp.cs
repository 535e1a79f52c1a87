using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    // seccomp(2) has no glibc wrapper before 2.35 and musl has none: syscall(SYS_seccomp = 317 on x86_64, ...).
    internal const long SysSeccomp = 317;

    // linux/seccomp.h
    internal const long SECCOMP_SET_MODE_FILTER = 1;
    internal const uint SECCOMP_FILTER_FLAG_TSYNC = 1;

    // linux/prctl.h
    internal const int PR_SET_NO_NEW_PRIVS = 38;

    /// <summary>
    /// <c>struct sock_fprog { unsigned short len; struct sock_filter *filter; }</c> (linux/filter.h): on
    /// x86_64 the pointer is 8-byte aligned, so 6 bytes of padding follow the length and the struct is 16 bytes.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct SockFprog
    {
        public ushort Length;
        public SockFilterInstruction* Filter;
    }

    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
    internal static unsafe partial long SyscallSeccomp(long number, long operation, long flags, SockFprog* program);
}
