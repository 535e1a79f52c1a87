using static Tmds.Linux.LibC;

namespace SandboxRt.Interop;

/// <summary>
/// /dev/vhost-vsock: reserving a guest CID. The kernel refuses a CID that another VM holds (EADDRINUSE),
/// so the runtime tries candidates and keeps the descriptor that succeeded open: QEMU inherits it as
/// <c>vhostfd=</c>, which makes the reservation and the device one object (as Kata does).
/// </summary>
public static class VhostVsock
{
    public const string DevicePath = "/dev/vhost-vsock";
    // _IOW(VHOST_VIRTIO 0xAF, 0x60, __u64) from linux/vhost.h
    private const int VHOST_VSOCK_SET_GUEST_CID = 0x4008AF60;

    /// <summary>Opens the device and reserves the first free CID from <paramref name="candidates"/>.</summary>
    public static unsafe SafeFdHandle ReserveCid(IEnumerable<uint> candidates, out uint cid)
    {
        foreach (var candidate in candidates)
        {
            var fd = new SafeFdHandle(Check.Io(Interop.Open(DevicePath, O_RDWR, 0), "open", DevicePath));
            ulong value = candidate;
            if (Interop.Ioctl(fd.Number, VHOST_VSOCK_SET_GUEST_CID, &value) == 0)
            {
                cid = candidate;
                return fd;
            }
            var errno = SyscallException.LastErrno;
            fd.Dispose();
            if (errno != Errno.EADDRINUSE)
                throw new SyscallException("ioctl", errno, DevicePath, "VHOST_VSOCK_SET_GUEST_CID");
        }
        throw new SyscallException("ioctl", Errno.EADDRINUSE, DevicePath, "VHOST_VSOCK_SET_GUEST_CID");
    }
}
