using System.Runtime.InteropServices;
using Tmds.Linux;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    [LibraryImport(Libc, EntryPoint = "reboot", SetLastError = true)]
    internal static partial int Reboot(int command);

    [LibraryImport(Libc, EntryPoint = "uname", SetLastError = true)]
    internal static unsafe partial int Uname(byte* buffer);

    internal static unsafe int SetHostname(byte* name, nint length) => LibC.sethostname(name, (size_t)(ulong)length);

    internal static unsafe int SetDomainname(byte* name, nint length) => LibC.setdomainname(name, (size_t)(ulong)length);

    [LibraryImport(Libc, EntryPoint = "prctl", SetLastError = true)]
    internal static partial int Prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long Syscall3(long number, long arg1, long arg2, long arg3);
}
