using System.Text;
using Tmds.Linux;

namespace SandboxRt.Interop;

/// <summary>
/// A listening AF_UNIX socket as a plain descriptor, for handing to another process. A bound
/// System.Net.Sockets.Socket deletes its socket file when disposed, which the process that only made
/// the socket for someone else must not do.
/// </summary>
public static class UnixListener
{
    private const int SunPathLength = 108;

    public static unsafe SafeFdHandle Listen(string path, int backlog = 64)
    {
        var bytes = Encoding.UTF8.GetBytes(path);
        if (bytes.Length >= SunPathLength)
            throw new ArgumentException($"socket path '{path}' is {bytes.Length} bytes; sun_path holds {SunPathLength - 1}");
        var fd = new SafeFdHandle(Check.Io(Interop.Socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0), "socket", "AF_UNIX"));
        try
        {
            var address = stackalloc byte[2 + SunPathLength];
            new Span<byte>(address, 2 + SunPathLength).Clear();
            *(ushort*)address = (ushort)LibC.AF_UNIX;
            bytes.CopyTo(new Span<byte>(address + 2, SunPathLength));
            Check.Io(Interop.Bind(fd.Number, address, (uint)(2 + bytes.Length + 1)), "bind", path);
            Check.Io(Interop.Listen(fd.Number, backlog), "listen", path);
            return fd;
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }
}
