using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

// Operations relative to a directory descriptor (the *at family), for work inside trees whose paths
// must not be resolved again from the root.
internal static partial class Interop
{
    [LibraryImport(Libc, EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MkdirAt(int dirfd, string name, uint mode);

    [LibraryImport(Libc, EntryPoint = "mknodat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MknodAt(int dirfd, string name, uint mode, ulong dev);

    [LibraryImport(Libc, EntryPoint = "unlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int UnlinkAt(int dirfd, string name, int flags);

    [LibraryImport(Libc, EntryPoint = "getdents64", SetLastError = true)]
    internal static unsafe partial nint Getdents64(int fd, byte* buffer, nuint count);
}
