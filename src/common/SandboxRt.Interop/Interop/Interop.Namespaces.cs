using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    [LibraryImport(Libc, EntryPoint = "unshare", SetLastError = true)]
    internal static partial int Unshare(int flags);

    [LibraryImport(Libc, EntryPoint = "setns", SetLastError = true)]
    internal static partial int Setns(int fd, int nstype);
}
