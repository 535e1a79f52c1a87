using System.Runtime.InteropServices;
using Tmds.Linux;

namespace SandboxRt.Interop;

/// <summary>
/// Writes bytes on a connected AF_UNIX stream socket with descriptors attached (SCM_RIGHTS) to the first
/// byte, the way a peer that reads them with its first recvmsg expects (Cloud Hypervisor's API server
/// takes a tap this way with vm.add-net). No framing of its own, unlike <see cref="FdPassingSocket"/>.
/// </summary>
public static class DescriptorSend
{
    /// <summary>The kernel's SCM_MAX_FD is 253; a request needs a handful.</summary>
    public const int MaxDescriptors = 16;

    public static unsafe void Send(SafeHandle socket, ReadOnlySpan<byte> payload, IReadOnlyList<SafeHandle> descriptors)
    {
        if (descriptors.Count is 0 or > MaxDescriptors)
            throw new ArgumentOutOfRangeException(nameof(descriptors), $"{descriptors.Count} descriptors: 1..{MaxDescriptors} travel in one message");
        if (payload.IsEmpty)
            throw new ArgumentException("descriptors travel with at least one byte", nameof(payload));
        bool[] added = new bool[descriptors.Count];
        using var fd = new FdRef(socket);
        try
        {
            int dataBytes = descriptors.Count * sizeof(int);
            int controlSize = sizeof(Interop.CmsgHdr) + ((dataBytes + 7) & ~7);
            byte* control = stackalloc byte[controlSize];
            new Span<byte>(control, controlSize).Clear();
            var cmsg = (Interop.CmsgHdr*)control;
            cmsg->Length = (nuint)(sizeof(Interop.CmsgHdr) + dataBytes);
            cmsg->Level = LibC.SOL_SOCKET;
            cmsg->Type = LibC.SCM_RIGHTS;
            int* numbers = (int*)(control + sizeof(Interop.CmsgHdr));
            for (int i = 0; i < descriptors.Count; i++)
            {
                descriptors[i].DangerousAddRef(ref added[i]);
                numbers[i] = (int)descriptors[i].DangerousGetHandle();
            }
            fixed (byte* p = payload)
            {
                int done = 0;
                while (done < payload.Length)
                {
                    var iov = new Interop.IoVec { Base = p + done, Length = (nuint)(payload.Length - done) };
                    var message = new Interop.MsgHdr { Iov = &iov, IovLength = 1 };
                    if (done == 0)
                    {
                        message.Control = control;
                        message.ControlLength = (nuint)controlSize;
                    }
                    nint n = Interop.SendMsg(fd.Fd, &message, LibC.MSG_NOSIGNAL);
                    if (n < 0)
                    {
                        var errno = SyscallException.LastErrno;
                        if (errno == Errno.EINTR)
                            continue;
                        throw new SyscallException("sendmsg", errno, $"{descriptors.Count} descriptors with {payload.Length} bytes");
                    }
                    done += (int)n;
                }
            }
        }
        finally
        {
            for (int i = 0; i < descriptors.Count; i++)
                if (added[i])
                    descriptors[i].DangerousRelease();
        }
    }
}
