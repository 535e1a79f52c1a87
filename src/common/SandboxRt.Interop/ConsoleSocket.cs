using System.Text;
using Tmds.Linux;

namespace SandboxRt.Interop;

/// <summary>
/// runc's --console-socket protocol: connect to the caller's AF_UNIX socket and send one message whose
/// data is the terminal's name and whose SCM_RIGHTS ancillary data is the pty master.
/// </summary>
public static class ConsoleSocket
{
    public static unsafe void SendMaster(string socketPath, SafeFdHandle master, string name)
    {
        var socket = new SafeFdHandle(Check.Io(Interop.Socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0), "socket", "AF_UNIX"));
        using (socket)
        {
            var pathBytes = Encoding.UTF8.GetBytes(socketPath);
            if (pathBytes.Length >= 108)
                throw new ArgumentException($"--console-socket path is too long: {socketPath}");
            byte* address = stackalloc byte[110];
            *(ushort*)address = (ushort)LibC.AF_UNIX;
            for (int i = 0; i < pathBytes.Length; i++)
                address[2 + i] = pathBytes[i];
            address[2 + pathBytes.Length] = 0;
            Check.Io(Interop.Connect(socket.Number, address, (uint)(2 + pathBytes.Length + 1)), "connect", socketPath);

            var data = Encoding.UTF8.GetBytes(name);
            using var pass = new FdRef(master);
            int controlSize = sizeof(Interop.CmsgHdr) + 8;
            byte* control = stackalloc byte[controlSize];
            var cmsg = (Interop.CmsgHdr*)control;
            cmsg->Length = (nuint)(sizeof(Interop.CmsgHdr) + sizeof(int));
            cmsg->Level = LibC.SOL_SOCKET;
            cmsg->Type = LibC.SCM_RIGHTS;
            *(int*)(control + sizeof(Interop.CmsgHdr)) = pass.Fd;
            fixed (byte* p = data)
            {
                var iov = new Interop.IoVec { Base = p, Length = (nuint)data.Length };
                var message = new Interop.MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)controlSize };
                nint sent;
                do
                    sent = Interop.SendMsg(socket.Number, &message, LibC.MSG_NOSIGNAL);
                while (sent < 0 && SyscallException.LastErrno == Errno.EINTR);
                Check.Io((long)sent, "sendmsg", socketPath);
            }
        }
    }
}
