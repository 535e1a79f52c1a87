using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    // Ours: Tmds.LibC 0.5.0 predates stx_mnt_id (Linux 5.8); STATX_TYPE and the like come from it.
    internal const uint STATX_MNT_ID = 0x1000;
    internal const ulong STATX_ATTR_MOUNT_ROOT = 0x2000;

    /// <summary>
    /// struct statx (include/uapi/linux/stat.h): the kernel writes the whole 256-byte struct, so calls
    /// pass a 256-byte buffer; only the fields read here are named.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    internal struct StatxBuffer
    {
        [FieldOffset(0x00)] public uint Mask;
        [FieldOffset(0x08)] public ulong Attributes;
        [FieldOffset(0x14)] public uint Uid;
        [FieldOffset(0x18)] public uint Gid;
        [FieldOffset(0x1C)] public ushort Mode;
        [FieldOffset(0x20)] public ulong Inode;
        [FieldOffset(0x38)] public ulong AttributesMask;
        [FieldOffset(0x88)] public uint DeviceMajor;
        [FieldOffset(0x8C)] public uint DeviceMinor;
        [FieldOffset(0x90)] public ulong MountId;
    }

    [LibraryImport(Libc, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int Statx(int dirfd, string path, int flags, uint mask, StatxBuffer* buffer);
}
