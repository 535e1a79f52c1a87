using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    internal const int SOL_SOCKET = 1;
    internal const int SCM_RIGHTS = 1;
    internal const int MSG_CMSG_CLOEXEC = 0x40000000;
    internal const int MSG_NOSIGNAL = 0x4000;

    [LibraryImport(Libc, EntryPoint = "socketpair", SetLastError = true)]
    internal static unsafe partial int SocketPair(int domain, int type, int protocol, int* fds);

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

    [LibraryImport(Libc, EntryPoint = "sendmsg", SetLastError = true)]
    internal static unsafe partial nint SendMsg(int fd, MsgHdr* message, int flags);

    [LibraryImport(Libc, EntryPoint = "recvmsg", SetLastError = true)]
    internal static unsafe partial nint RecvMsg(int fd, MsgHdr* message, int flags);
}
