using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    // finit_module has no glibc wrapper: syscall(SYS_finit_module = 313 on x86_64, fd, params, flags).
    internal const long SysFinitModule = 313;

    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long SyscallFinitModule(long number, int fd, string parameters, int flags);
}
