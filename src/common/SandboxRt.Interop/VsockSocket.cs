using System.Net.Sockets;
using Tmds.Linux;

namespace SandboxRt.Interop;

/// <summary>
/// AF_VSOCK stream sockets (linux/vm_sockets.h). System.Net.Sockets.Socket rejects the address family,
/// so the descriptors are created and bound here, and only connected descriptors are handed to
/// <see cref="Socket"/> for asynchronous I/O.
/// </summary>
public static class VsockSocket
{
    /// <summary>VMADDR_CID_ANY: listen on every CID of this machine.</summary>
    public const uint AnyCid = 0xFFFFFFFF;
    /// <summary>VMADDR_CID_HOST.</summary>
    public const uint HostCid = 2;

    /// <summary>True when the kernel has the vsock address family (the module is loaded).</summary>
    public static bool IsSupported()
    {
        int fd = Interop.Socket(LibC.AF_VSOCK, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0)
            return false;
        Interop.Close(fd);
        return true;
    }

    /// <summary>Creates a listening vsock socket on <paramref name="cid"/>:<paramref name="port"/>.</summary>
    public static unsafe SafeFdHandle Listen(uint cid, uint port, int backlog = 16)
    {
        var name = $"vsock:{cid}:{port}";
        var fd = new SafeFdHandle(Check.Io(Interop.Socket(LibC.AF_VSOCK, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0), "socket", "AF_VSOCK"));
        try
        {
            var address = new Interop.SockaddrVm { Family = (ushort)LibC.AF_VSOCK, Port = port, Cid = cid };
            Check.Io(Interop.Bind(fd.Number, &address, (uint)sizeof(Interop.SockaddrVm)), "bind", name);
            Check.Io(Interop.Listen(fd.Number, backlog), "listen", name);
            return fd;
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>Blocks until a peer connects; returns the connection as a Socket. Call on a dedicated thread.</summary>
    public static unsafe Socket Accept(SafeFdHandle listener)
    {
        var peer = default(Interop.SockaddrVm);
        uint length = (uint)sizeof(Interop.SockaddrVm);
        int fd;
        do
            fd = Interop.Accept4(listener.Number, &peer, &length, LibC.SOCK_CLOEXEC);
        while (Check.Interrupted(fd));
        Check.Io(fd, "accept4", "vsock");
        return new Socket(new SafeSocketHandle(fd, ownsHandle: true));
    }

    /// <summary>Wakes a thread blocked in <see cref="Accept"/> (it then fails with EINVAL).</summary>
    public static void StopAccepting(SafeFdHandle listener) => Interop.Shutdown(listener.Number, 2);

    /// <summary>Connects to <paramref name="cid"/>:<paramref name="port"/>.</summary>
    public static unsafe Socket Connect(uint cid, uint port)
    {
        var fd = new SafeFdHandle(Check.Io(Interop.Socket(LibC.AF_VSOCK, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0), "socket", "AF_VSOCK"));
        var address = new Interop.SockaddrVm { Family = (ushort)LibC.AF_VSOCK, Port = port, Cid = cid };
        if (Interop.Connect(fd.Number, &address, (uint)sizeof(Interop.SockaddrVm)) != 0)
        {
            var errno = SyscallException.LastErrno;
            fd.Dispose();
            throw new SyscallException("connect", errno, $"vsock:{cid}:{port}");
        }
        return new Socket(new SafeSocketHandle(fd.Release(), ownsHandle: true));
    }
}
