using System.Runtime.InteropServices;
using Tmds.Linux;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    internal static unsafe int SocketPair(int domain, int type, int protocol, int* fds) => LibC.socketpair(domain, type, protocol, fds);

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct CmsgHdr
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    // MsgHdr has struct msghdr's layout (Tmds.LibC's msghdr, 56 bytes): SandboxRtInteropTests checks it.
    internal static unsafe nint SendMsg(int fd, MsgHdr* message, int flags) => (nint)(long)LibC.sendmsg(fd, (msghdr*)message, flags);

    internal static unsafe nint RecvMsg(int fd, MsgHdr* message, int flags) => (nint)(long)LibC.recvmsg(fd, (msghdr*)message, flags);
}
