using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    // struct stat on x86_64 (asm/stat.h): 144 bytes; st_mode at 24, st_uid at 28, st_rdev at 40.
    internal const int StatSize = 144;
    internal const int StatModeOffset = 24;
    internal const int StatRdevOffset = 40;

    [LibraryImport(Libc, EntryPoint = "fstatat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int FStatAt(int dirfd, string path, byte* buffer, int flags);
}
