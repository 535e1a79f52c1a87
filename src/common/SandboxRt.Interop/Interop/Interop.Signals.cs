using System.Runtime.InteropServices;
using Tmds.Linux;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    /// <summary>
    /// rt_sigaction(2) itself, not glibc's sigaction, which refuses the signals glibc keeps (32, 33).
    /// The kernel's struct starts with the handler (x86_64: 32 bytes, arm64: 24); zeroed it is SIG_DFL
    /// with no flags and an empty mask.
    /// </summary>
    internal static long SysRtSigaction => RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 134 : 13;
    internal const int KernelSigactionBuffer = 64, KernelSigsetSize = 8;
    internal const nint SIG_IGN = 1;

    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
    internal static unsafe partial long SyscallRtSigaction(long number, int signal, void* action, void* oldAction, long sigsetSize);

    // Ours: Tmds.LibC binds pthread_sigmask to libpthread.so.0, which the guest image does not carry.
    [LibraryImport(Libc, EntryPoint = "pthread_sigmask")]
    internal static unsafe partial int PthreadSigmask(int how, void* set, void* oldSet);

    internal static unsafe int SigAddSet(void* set, int signal) => LibC.sigaddset((sigset_t*)set, signal);
}
