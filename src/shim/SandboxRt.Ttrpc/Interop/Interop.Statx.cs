using System.Runtime.InteropServices;

namespace SandboxRt.Ttrpc;

internal static partial class Interop
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const int Enoent = 2;

    /// <summary>struct statx is 256 bytes with an architecture-independent layout (linux/stat.h).</summary>
    private const int StatxSize = 256;

    /// <summary>Offset of stx_mode (__u16) in struct statx.</summary>
    private const int StatxModeOffset = 28;

    internal const ushort FileTypeMask = 0xF000;   // S_IFMT
    internal const ushort FileTypeSocket = 0xC000; // S_IFSOCK

    [LibraryImport(Libc, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    /// <summary>The st_mode of <paramref name="path"/> (not following a final symlink); null when nothing is there.</summary>
    internal static unsafe ushort? FileMode(string path)
    {
        byte* buffer = stackalloc byte[StatxSize];
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, buffer) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Enoent)
                return null;
            throw new IOException($"statx(\"{path}\"): {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }
        return *(ushort*)(buffer + StatxModeOffset);
    }
}
