using System.Runtime.InteropServices;
using Tmds.Linux;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    internal static int Socket(int domain, int type, int protocol) => LibC.socket(domain, type, protocol);

    internal static unsafe int Bind(int fd, void* address, uint length) => LibC.bind(fd, (sockaddr*)address, length);

    internal static unsafe int Connect(int fd, void* address, uint length) => LibC.connect(fd, (sockaddr*)address, length);

    internal static int Listen(int fd, int backlog) => LibC.listen(fd, backlog);

    internal static unsafe int Accept4(int fd, void* address, uint* length, int flags) =>
        LibC.accept4(fd, (sockaddr*)address, (socklen_t*)length, flags);

    internal static int Shutdown(int fd, int how) => LibC.shutdown(fd, how);

    // Ours: Tmds.LibC has no struct sockaddr_vm.
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
