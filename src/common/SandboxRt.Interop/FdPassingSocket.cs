using System.Buffers.Binary;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace SandboxRt.Interop;

/// <summary>
/// A connected AF_UNIX stream socket pair carrying length-prefixed messages, each optionally with
/// one file descriptor (SCM_RIGHTS) attached to its 4-byte length header. Used between the agent
/// and a container's init process (which inherits its end as a plain descriptor number).
/// </summary>
public static class FdPassingSocket
{
    public static unsafe (SafeFdHandle Parent, SafeFdHandle Child) CreatePair()
    {
        int* fds = stackalloc int[2];
        Check.Io(Interop.SocketPair(LibC.AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), "socketpair", "AF_UNIX");
        return (new SafeFdHandle(fds[0]), new SafeFdHandle(fds[1]));
    }

    /// <summary>Sends one message; <paramref name="passing"/>, if given, travels with it.</summary>
    public static unsafe void Send(SafeFdHandle socket, ReadOnlySpan<byte> payload, System.Runtime.InteropServices.SafeHandle? passing = null)
    {
        using var fd = new FdRef(socket);
        byte* header = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(new Span<byte>(header, 4), (uint)payload.Length);
        var iov = new Interop.IoVec { Base = header, Length = 4 };
        int controlSize = sizeof(Interop.CmsgHdr) + 8;
        byte* control = stackalloc byte[controlSize];
        var message = new Interop.MsgHdr { Iov = &iov, IovLength = 1 };
        if (passing is not null)
        {
            using var pass = new FdRef(passing);
            var cmsg = (Interop.CmsgHdr*)control;
            cmsg->Length = (nuint)(sizeof(Interop.CmsgHdr) + sizeof(int));
            cmsg->Level = LibC.SOL_SOCKET;
            cmsg->Type = LibC.SCM_RIGHTS;
            *(int*)(control + sizeof(Interop.CmsgHdr)) = pass.Fd;
            message.Control = control;
            message.ControlLength = (nuint)controlSize;
            SendAll(fd.Fd, &message, "sendmsg");
        }
        else
        {
            SendAll(fd.Fd, &message, "sendmsg");
        }
        fixed (byte* p = payload)
        {
            int done = 0;
            while (done < payload.Length)
            {
                var chunk = new Interop.IoVec { Base = p + done, Length = (nuint)(payload.Length - done) };
                var m = new Interop.MsgHdr { Iov = &chunk, IovLength = 1 };
                done += (int)SendOnce(fd.Fd, &m, "sendmsg");
            }
        }
    }

    private static unsafe void SendAll(int fd, Interop.MsgHdr* message, string call)
    {
        var sent = SendOnce(fd, message, call);
        if (sent != 4)
            throw new SyscallException(call, Errno.EIO, $"short write of a message header ({sent} bytes)");
    }

    private static unsafe nint SendOnce(int fd, Interop.MsgHdr* message, string call)
    {
        while (true)
        {
            nint n = Interop.SendMsg(fd, message, LibC.MSG_NOSIGNAL);
            if (n >= 0)
                return n;
            var errno = SyscallException.LastErrno;
            if (errno != Errno.EINTR)
                throw new SyscallException(call, errno);
        }
    }

    /// <summary>
    /// Receives one message of at most <paramref name="maxLength"/> bytes. Returns null at end of stream
    /// (the peer closed, e.g. because exec closed its close-on-exec end). A descriptor sent with it is
    /// returned in <paramref name="received"/>.
    /// </summary>
    public static unsafe byte[]? Receive(SafeFdHandle socket, int maxLength, out SafeFdHandle? received)
    {
        received = null;
        using var fd = new FdRef(socket);
        byte* header = stackalloc byte[4];
        int controlSize = sizeof(Interop.CmsgHdr) + 8;
        byte* control = stackalloc byte[controlSize];
        int got = 0;
        while (got < 4)
        {
            var iov = new Interop.IoVec { Base = header + got, Length = (nuint)(4 - got) };
            var message = new Interop.MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)controlSize };
            nint n = Interop.RecvMsg(fd.Fd, &message, LibC.MSG_CMSG_CLOEXEC);
            if (n < 0)
            {
                var errno = SyscallException.LastErrno;
                if (errno == Errno.EINTR)
                    continue;
                if (errno == Errno.ECONNRESET)
                    return null;
                throw new SyscallException("recvmsg", errno);
            }
            if (n == 0)
                return got == 0 ? null : throw new SyscallException("recvmsg", Errno.EPROTO, "the peer closed inside a message header");
            if (message.ControlLength >= (nuint)sizeof(Interop.CmsgHdr))
            {
                var cmsg = (Interop.CmsgHdr*)control;
                if (cmsg->Level == LibC.SOL_SOCKET && cmsg->Type == LibC.SCM_RIGHTS)
                    received = new SafeFdHandle(*(int*)(control + sizeof(Interop.CmsgHdr)));
            }
            got += (int)n;
        }
        int length = (int)BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(header, 4));
        if (length < 0 || length > maxLength)
            throw new SyscallException("recvmsg", Errno.EMSGSIZE, $"a message of {length} bytes exceeds {maxLength}");
        var payload = new byte[length];
        fixed (byte* p = payload)
        {
            int read = 0;
            while (read < length)
            {
                nint n = Interop.Read(fd.Fd, p + read, length - read);
                if (n < 0)
                {
                    if (SyscallException.LastErrno == Errno.EINTR)
                        continue;
                    throw new SyscallException("read", SyscallException.LastErrno, "message payload");
                }
                if (n == 0)
                    throw new SyscallException("read", Errno.EPROTO, "the peer closed inside a message");
                read += (int)n;
            }
        }
        return payload;
    }
}
