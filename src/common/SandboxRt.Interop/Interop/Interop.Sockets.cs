using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    internal const int AF_UNIX = 1;
    internal const int AF_VSOCK = 40;
    internal const int SOCK_STREAM = 1;
    internal const int SOCK_CLOEXEC = 0x80000;

    [LibraryImport(Libc, EntryPoint = "socket", SetLastError = true)]
    internal static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Libc, EntryPoint = "bind", SetLastError = true)]
    internal static unsafe partial int Bind(int fd, void* address, uint length);

    [LibraryImport(Libc, EntryPoint = "connect", SetLastError = true)]
    internal static unsafe partial int Connect(int fd, void* address, uint length);

    [LibraryImport(Libc, EntryPoint = "listen", SetLastError = true)]
    internal static partial int Listen(int fd, int backlog);

    [LibraryImport(Libc, EntryPoint = "accept4", SetLastError = true)]
    internal static unsafe partial int Accept4(int fd, void* address, uint* length, int flags);

    [LibraryImport(Libc, EntryPoint = "shutdown", SetLastError = true)]
    internal static partial int Shutdown(int fd, int how);

    /// <summary>struct sockaddr_vm from linux/vm_sockets.h (16 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct SockaddrVm
    {
        public ushort Family;
        public ushort Reserved1;
        public uint Port;
        public uint Cid;
        public byte Flags;
        public byte Zero0, Zero1, Zero2;
    }
}
