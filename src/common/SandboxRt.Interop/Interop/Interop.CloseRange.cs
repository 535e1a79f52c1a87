using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    // linux/close_range.h: mark the range close-on-exec instead of closing it now (kernel 5.11+).
    internal const uint CLOSE_RANGE_CLOEXEC = 1u << 2;

    [LibraryImport(Libc, EntryPoint = "close_range", SetLastError = true)]
    internal static partial int CloseRange(uint first, uint last, int flags);

    [LibraryImport(Libc, EntryPoint = "posix_spawn_file_actions_addclose")]
    internal static unsafe partial int SpawnFileActionsAddClose(void* actions, int fd);
}
