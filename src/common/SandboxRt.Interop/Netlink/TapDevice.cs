namespace SandboxRt.Interop.Netlink;

/// <summary>Tap devices through /dev/net/tun (linux/if_tun.h), as a VMM's virtio-net backend uses them.</summary>
public static class TapDevice
{
    public const string ClonePath = "/dev/net/tun";

    /// <summary>
    /// Creates (or attaches to) tap device <paramref name="name"/> in the calling thread's network namespace
    /// (TUNSETIFF with IFF_TAP|IFF_NO_PI|IFF_VNET_HDR) and returns its queue descriptor, opened O_CLOEXEC.
    /// The device is not persistent: it disappears when the last descriptor closes. The name must be at most 15 bytes.
    /// </summary>
    public static unsafe SafeFdHandle Open(string name)
    {
        LinkMessages.CheckName(name);
        var fd = FileDescriptors.Open(ClonePath, FileDescriptors.ReadWrite);
        try
        {
            var request = new Interop.IfReqFlags { Flags = Interop.IFF_TAP | Interop.IFF_NO_PI | Interop.IFF_VNET_HDR };
            var bytes = System.Text.Encoding.UTF8.GetBytes(name);
            for (int i = 0; i < bytes.Length; i++)
                request.Name[i] = bytes[i];
            Check.Io(Interop.Ioctl(fd.Number, Interop.TUNSETIFF, &request), "ioctl", ClonePath, "TUNSETIFF", name);
            return fd;
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }
}
