using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    // inotify_init1 flags (linux/inotify.h): the same values as O_CLOEXEC and O_NONBLOCK.
    internal const int IN_CLOEXEC = 0x80000;
    internal const int IN_NONBLOCK = 0x800;

    [LibraryImport(Libc, EntryPoint = "inotify_init1", SetLastError = true)]
    internal static partial int InotifyInit1(int flags);

    [LibraryImport(Libc, EntryPoint = "inotify_add_watch", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int InotifyAddWatch(int fd, string path, uint mask);

    [LibraryImport(Libc, EntryPoint = "inotify_rm_watch", SetLastError = true)]
    internal static partial int InotifyRmWatch(int fd, int watch);

    /// <summary>struct inotify_event without its trailing name (16 bytes; <c>Length</c> name bytes follow).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct InotifyEventHeader
    {
        public int Watch;
        public uint Mask;
        public uint Cookie;
        public uint Length;
    }
}
