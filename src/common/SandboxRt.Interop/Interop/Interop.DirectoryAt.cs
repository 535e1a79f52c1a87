using System.Runtime.InteropServices;
using Tmds.Linux;

namespace SandboxRt.Interop;

// Operations relative to a directory descriptor (the *at family), for work inside trees whose paths
// must not be resolved again from the root.
internal static partial class Interop
{
    internal static unsafe int MkdirAt(int dirfd, string name, uint mode)
    {
        fixed (byte* p = Utf8z(name))
            return LibC.mkdirat(dirfd, p, (ushort)mode);
    }

    // Ours: Tmds.LibC's mknodat calls __xmknodat, a compat-only symbol since glibc 2.33.
    [LibraryImport(Libc, EntryPoint = "mknodat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MknodAt(int dirfd, string name, uint mode, ulong dev);

    internal static unsafe int UnlinkAt(int dirfd, string name, int flags)
    {
        fixed (byte* p = Utf8z(name))
            return LibC.unlinkat(dirfd, p, flags);
    }

    // Ours: Tmds.LibC has no getdents64.
    [LibraryImport(Libc, EntryPoint = "getdents64", SetLastError = true)]
    internal static unsafe partial nint Getdents64(int fd, byte* buffer, nuint count);
}
