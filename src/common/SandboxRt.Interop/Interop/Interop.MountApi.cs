using System.Runtime.InteropServices;
using Tmds.Linux;

namespace SandboxRt.Interop;

// The new mount API (Linux 5.2+: open_tree, move_mount, fsopen, fsconfig, fsmount; 5.12+: mount_setattr)
// and openat2 (5.6+). Ours, except openat2: Tmds.LibC 0.5.0 has openat2 and struct open_how but none of
// the mount calls. glibc 2.36 wraps only some of them, so they go through syscall(2); their numbers
// are the same on every architecture (the unified table from 424 on, include/uapi/asm-generic/unistd.h).
internal static partial class Interop
{
    internal const long SysOpenTree = 428, SysMoveMount = 429, SysFsopen = 430, SysFsconfig = 431, SysFsmount = 432,
                        SysMountSetattr = 442;

    // linux/mount.h
    internal const uint OPEN_TREE_CLONE = 1, OPEN_TREE_CLOEXEC = 0x80000;
    internal const uint MOVE_MOUNT_F_SYMLINKS = 0x01, MOVE_MOUNT_F_AUTOMOUNTS = 0x02, MOVE_MOUNT_F_EMPTY_PATH = 0x04,
                        MOVE_MOUNT_T_SYMLINKS = 0x10, MOVE_MOUNT_T_AUTOMOUNTS = 0x20, MOVE_MOUNT_T_EMPTY_PATH = 0x40;
    internal const uint FSOPEN_CLOEXEC = 1, FSMOUNT_CLOEXEC = 1;
    internal const uint FSCONFIG_SET_STRING = 1, FSCONFIG_CMD_CREATE = 6;
    // linux/fcntl.h (the other AT_* come from Tmds.LibC, which lacks AT_RECURSIVE)
    internal const uint AT_RECURSIVE = 0x8000;

    /// <summary>struct mount_attr (linux/mount.h, MOUNT_ATTR_SIZE_VER0 = 32).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct MountAttr
    {
        public ulong AttrSet;
        public ulong AttrClr;
        public ulong Propagation;
        public ulong UsernsFd;
    }


    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long SyscallOpenTree(long number, int dirfd, string path, uint flags);

    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long SyscallMoveMount(long number, int fromDirfd, string fromPath, int toDirfd, string toPath, uint flags);

    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial long SyscallMountSetattr(long number, int dirfd, string path, uint flags, MountAttr* attr, nuint size);

    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long SyscallFsopen(long number, string fileSystem, uint flags);

    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long SyscallFsconfig(long number, int fd, uint command, string? key, string? value, int aux);

    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long SyscallFsmount(long number, int fd, uint flags, uint attributes);

    internal static unsafe int Openat2(int dirfd, string path, open_how* how)
    {
        fixed (byte* p = Utf8z(path))
            return LibC.openat2(dirfd, p, how, (size_t)(ulong)sizeof(open_how));
    }

    [LibraryImport(Libc, EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Umount2Flags(string target, int flags);
}
