using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

// The new mount API (Linux 5.2+: open_tree, move_mount, fsopen, fsconfig, fsmount; 5.12+: mount_setattr)
// and openat2 (5.6+). glibc 2.36 wraps only some of them, so all go through syscall(2); their numbers
// are the same on every architecture (the unified table from 424 on, include/uapi/asm-generic/unistd.h).
internal static partial class Interop
{
    internal const long SysOpenTree = 428, SysMoveMount = 429, SysFsopen = 430, SysFsconfig = 431, SysFsmount = 432,
                        SysOpenat2 = 437, SysMountSetattr = 442;

    // linux/mount.h
    internal const uint OPEN_TREE_CLONE = 1, OPEN_TREE_CLOEXEC = 0x80000;
    internal const uint MOVE_MOUNT_F_SYMLINKS = 0x01, MOVE_MOUNT_F_AUTOMOUNTS = 0x02, MOVE_MOUNT_F_EMPTY_PATH = 0x04,
                        MOVE_MOUNT_T_SYMLINKS = 0x10, MOVE_MOUNT_T_AUTOMOUNTS = 0x20, MOVE_MOUNT_T_EMPTY_PATH = 0x40;
    internal const uint FSOPEN_CLOEXEC = 1, FSMOUNT_CLOEXEC = 1;
    internal const uint FSCONFIG_SET_STRING = 1, FSCONFIG_CMD_CREATE = 6;
    // linux/fcntl.h
    internal const uint AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_NO_AUTOMOUNT = 0x800, AT_EMPTY_PATH = 0x1000, AT_RECURSIVE = 0x8000;
    // umount2 flags (linux/fs.h)
    internal const int MNT_DETACH = 2, UMOUNT_NOFOLLOW = 8;

    /// <summary>struct mount_attr (linux/mount.h, MOUNT_ATTR_SIZE_VER0 = 32).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct MountAttr
    {
        public ulong AttrSet;
        public ulong AttrClr;
        public ulong Propagation;
        public ulong UsernsFd;
    }

    /// <summary>struct open_how (linux/openat2.h, OPEN_HOW_SIZE_VER0 = 24).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
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

    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial long SyscallOpenat2(long number, int dirfd, string path, OpenHow* how, nuint size);

    [LibraryImport(Libc, EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Umount2Flags(string target, int flags);
}
