using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    [LibraryImport(Libc, EntryPoint = "reboot", SetLastError = true)]
    internal static partial int Reboot(int command);

    [LibraryImport(Libc, EntryPoint = "uname", SetLastError = true)]
    internal static unsafe partial int Uname(byte* buffer);

    [LibraryImport(Libc, EntryPoint = "sethostname", SetLastError = true)]
    internal static unsafe partial int SetHostname(byte* name, nint length);

    [LibraryImport(Libc, EntryPoint = "setdomainname", SetLastError = true)]
    internal static unsafe partial int SetDomainname(byte* name, nint length);

    [LibraryImport(Libc, EntryPoint = "prctl", SetLastError = true)]
    internal static partial int Prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long Syscall3(long number, long arg1, long arg2, long arg3);
}
