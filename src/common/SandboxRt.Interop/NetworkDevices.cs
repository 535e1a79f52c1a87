using Tmds.Linux;

namespace SandboxRt.Interop;

/// <summary>Interface flags through SIOCGIFFLAGS/SIOCSIFFLAGS (enough to bring loopback up in a new netns).</summary>
public static class NetworkDevices
{
    public static unsafe void BringUp(string name)
    {
        var socket = new SafeFdHandle(Check.Io(Interop.Socket(LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0), "socket", "AF_INET"));
        using (socket)
        {
            var request = new Interop.IfReqFlags();
            var bytes = System.Text.Encoding.ASCII.GetBytes(name);
            if (bytes.Length > 15)
                throw new ArgumentException($"interface name '{name}' is too long");
            for (int i = 0; i < bytes.Length; i++)
                request.Name[i] = bytes[i];
            Check.Io(Interop.Ioctl(socket.Number, LibC.SIOCGIFFLAGS, &request), "ioctl", name, "SIOCGIFFLAGS");
            request.Flags |= Interop.IFF_UP;
            Check.Io(Interop.Ioctl(socket.Number, LibC.SIOCSIFFLAGS, &request), "ioctl", name, "SIOCSIFFLAGS");
        }
    }
}
