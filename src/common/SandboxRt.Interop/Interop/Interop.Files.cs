using System.Runtime.InteropServices;
using Tmds.Linux;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    internal static unsafe int Open(string path, int flags, uint mode)
    {
        fixed (byte* p = Utf8z(path))
            return LibC.open(p, flags, (ushort)mode);
    }

    internal static unsafe int OpenAt(int dirfd, string path, int flags, uint mode)
    {
        fixed (byte* p = Utf8z(path))
            return LibC.openat(dirfd, p, flags, (ushort)mode);
    }

    internal static unsafe nint Read(int fd, byte* buffer, nint count) => (nint)(long)LibC.read(fd, buffer, (size_t)(ulong)count);

    internal static unsafe nint Write(int fd, byte* buffer, nint count) => (nint)(long)LibC.write(fd, buffer, (size_t)(ulong)count);

    internal static int Dup3(int oldFd, int newFd, int flags) => LibC.dup3(oldFd, newFd, flags);

    internal static int Fcntl(int fd, int command, int argument) => LibC.fcntl(fd, command, argument);

    internal static unsafe int Pipe2(int* fds, int flags) => LibC.pipe2(fds, flags);

    // Ours: Tmds.LibC's poll is declared without SetLastError, so EINTR would read as a stale errno.
    [LibraryImport(Libc, EntryPoint = "poll", SetLastError = true)]
    internal static unsafe partial int Poll(PollFd* fds, ulong count, int timeoutMs);

    // The kernel reads the request as an unsigned int; Tmds.LibC (and so our request constants) type it int.
    internal static int Ioctl(int fd, int request, int argument) => LibC.ioctl(fd, request, argument);

    internal static unsafe int Ioctl(int fd, int request, void* argument) => LibC.ioctl(fd, request, argument);

    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }
}
