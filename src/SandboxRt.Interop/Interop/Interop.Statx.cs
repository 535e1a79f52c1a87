using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    internal const int AtEmptyPath = 0x1000;
    internal const uint StatxTypeMask = 0x1;   // STATX_TYPE
    internal const uint StatxSizeMask = 0x200; // STATX_SIZE

    /// <summary>struct statx is 256 bytes with an architecture-independent layout (linux/stat.h).</summary>
    internal const int StatxBufferSize = 256;

    /// <summary>Offsets in struct statx: stx_mode (__u16) and stx_size (__u64).</summary>
    internal const int StatxModeOffset = 28, StatxSizeOffset = 40;

    [LibraryImport(Libc, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);
}
