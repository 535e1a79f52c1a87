using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    // waitid(2): include/uapi/linux/wait.h
    internal const int P_PID = 1;
    internal const int WEXITED = 0x00000004;
    internal const int WNOWAIT = 0x01000000;

    /// <summary>siginfo_t as waitid fills it for a child (128 bytes; x86_64 and arm64 share this layout).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    internal struct SigInfo
    {
        [FieldOffset(0)] public int Signo;
        [FieldOffset(8)] public int Code;
        [FieldOffset(16)] public int Pid;
        [FieldOffset(24)] public int Status;
    }

    [LibraryImport(Libc, EntryPoint = "waitid", SetLastError = true)]
    internal static unsafe partial int WaitId(int idType, int id, SigInfo* info, int options);

    // pidfd_open(2) and pidfd_send_signal(2) by number (glibc wraps them only from 2.36 on).
    internal static long SysPidfdOpen => 434;          // the same on x86_64 and arm64 (unified table)
    internal static long SysPidfdSendSignal => 424;

    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long SyscallPidfdOpen(long number, int pid, uint flags);

    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long SyscallPidfdSendSignal(long number, int pidfd, int signal, nint info, uint flags);
}
