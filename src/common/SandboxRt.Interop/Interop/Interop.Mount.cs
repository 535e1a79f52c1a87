using System.Runtime.InteropServices;
using Tmds.Linux;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    internal static unsafe int Mount(string? source, string target, string? fstype, ulong flags, string? data)
    {
        fixed (byte* s = Utf8z(source), t = Utf8z(target), f = Utf8z(fstype), d = Utf8z(data))
            return LibC.mount(s, t, f, (ulong_t)flags, d);
    }

    internal static unsafe int Umount2(string target, int flags)
    {
        fixed (byte* t = Utf8z(target))
            return LibC.umount2(t, flags);
    }

    // Ours: Tmds.LibC has no pivot_root (glibc has no wrapper either).
    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long SyscallPivotRoot(long number, string newRoot, string putOld);

    internal static unsafe int Chroot(string path)
    {
        fixed (byte* p = Utf8z(path))
            return LibC.chroot(p);
    }

    // Ours: Tmds.LibC's mknod calls __xmknod, a compat-only symbol since glibc 2.33.
    [LibraryImport(Libc, EntryPoint = "mknod", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Mknod(string path, uint mode, ulong dev);

    internal static uint Umask(uint mask) => (ushort)LibC.umask((ushort)mask);

    internal static unsafe int Symlink(string target, string linkPath)
    {
        fixed (byte* t = Utf8z(target), l = Utf8z(linkPath))
            return LibC.symlink(t, l);
    }

    internal static unsafe int Chown(string path, uint uid, uint gid)
    {
        fixed (byte* p = Utf8z(path))
            return LibC.chown(p, uid, gid);
    }

    internal static void Sync() => LibC.sync();
}
