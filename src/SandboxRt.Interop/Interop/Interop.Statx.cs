using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    internal const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100, AtEmptyPath = 0x1000;
    internal const uint StatxTypeMask = 0x1;     // STATX_TYPE
    internal const uint StatxInodeMask = 0x100;  // STATX_INO (stx_dev_major/minor are always filled)
    internal const uint StatxSizeMask = 0x200;   // STATX_SIZE

    /// <summary>struct statx is 256 bytes with an architecture-independent layout (linux/stat.h).</summary>
    internal const int StatxBufferSize = 256;

    /// <summary>
    /// Offsets in struct statx: stx_mode (__u16), stx_ino and stx_size (__u64), and stx_dev_major with
    /// stx_dev_minor (two __u32, compared as one __u64).
    /// </summary>
    internal const int StatxModeOffset = 28, StatxInodeOffset = 32, StatxSizeOffset = 40, StatxDeviceOffset = 136;

    [LibraryImport(Libc, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);
}
