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

    [LibraryImport(Libc, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int Statx(int dirfd, string path, int flags, uint mask, StatxBuffer* buffer);

    internal const uint STATX_TYPE = 0x1, STATX_MODE = 0x2, STATX_UID = 0x8, STATX_MNT_ID = 0x1000;
    internal const ulong STATX_ATTR_MOUNT_ROOT = 0x2000;

    /// <summary>struct statx (linux/stat.h): 256 bytes; only the fields read here are named.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    internal struct StatxBuffer
    {
        [FieldOffset(0x00)] public uint Mask;
        [FieldOffset(0x08)] public ulong Attributes;
        [FieldOffset(0x14)] public uint Uid;
        [FieldOffset(0x18)] public uint Gid;
        [FieldOffset(0x1C)] public ushort Mode;
        [FieldOffset(0x90)] public ulong MountId;
        [FieldOffset(0x38)] public ulong AttributesMask;
    }
}
