using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    [LibraryImport(Libc, EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Mount(string? source, string target, string? fstype, ulong flags, string? data);

    [LibraryImport(Libc, EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Umount2(string target, int flags);

    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long SyscallPivotRoot(long number, string newRoot, string putOld);

    [LibraryImport(Libc, EntryPoint = "chroot", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Chroot(string path);

    [LibraryImport(Libc, EntryPoint = "mknod", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Mknod(string path, uint mode, ulong dev);

    [LibraryImport(Libc, EntryPoint = "umask")]
    internal static partial uint Umask(uint mask);

    [LibraryImport(Libc, EntryPoint = "symlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Symlink(string target, string linkPath);

    [LibraryImport(Libc, EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Chown(string path, uint uid, uint gid);

    [LibraryImport(Libc, EntryPoint = "sync")]
    internal static partial void Sync();
}
