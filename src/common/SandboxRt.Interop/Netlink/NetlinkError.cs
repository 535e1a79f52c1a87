using System.Runtime.InteropServices;
using static SandboxRt.Interop.Netlink.NetlinkConstants;

namespace SandboxRt.Interop.Netlink;

/// <summary>
/// Reads NLMSG_ERROR (struct nlmsgerr: int error, the request's nlmsghdr, maybe its payload, then the
/// extended-ack attributes) and NLMSG_DONE (int error) and turns a failure into a SyscallException
/// named "netlink" whose arguments are the operation and object, plus the kernel's reason when it gave one.
/// </summary>
internal static class NetlinkError
{
    /// <summary>The errno (positive) and extended-ack message of an NLMSG_ERROR; errno 0 is an acknowledgement.</summary>
    public static (Errno Errno, string? Reason) Read(NetlinkMessage message)
    {
        var payload = message.Payload;
        if (payload.Length < 4)
            throw new InvalidDataException($"netlink: NLMSG_ERROR with {payload.Length} payload bytes, needs 4");
        int error = MemoryMarshal.Read<int>(payload.Span);
        string? reason = null;
        if ((message.Flags & NLM_F_ACK_TLVS) != 0 && payload.Length >= 4 + HeaderSize)
        {
            // The echoed request: its header only when capped, else all of it.
            var echoed = MemoryMarshal.Read<Interop.NlMsgHdr>(payload.Span[4..]);
            long skip = 4 + ((message.Flags & NLM_F_CAPPED) != 0 ? HeaderSize : NetlinkMessageBuilder.Align((int)Math.Min(echoed.Length, int.MaxValue - 3)));
            if (skip <= payload.Length)
                reason = ReadReason(payload[(int)skip..]);
        }
        return ((Errno)(-error), string.IsNullOrEmpty(reason) ? null : reason);
    }

    /// <summary>NLMSGERR_ATTR_MSG; malformed attributes lose the reason, never the errno.</summary>
    private static string? ReadReason(ReadOnlyMemory<byte> attributes)
    {
        try
        {
            return NetlinkAttribute.Find(NetlinkAttribute.Parse(attributes), NLMSGERR_ATTR_MSG)?.ToText();
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>Throws when an NLMSG_ERROR carries a failure; returns for an acknowledgement.</summary>
    public static void ThrowIfFailed(NetlinkMessage message, params string[] what)
    {
        var (errno, reason) = Read(message);
        if (errno != Errno.None)
            throw Failure(errno, reason, what);
    }

    /// <summary>Throws when an NLMSG_DONE ends a dump with an error.</summary>
    public static void ThrowIfDoneFailed(NetlinkMessage message, params string[] what)
    {
        if (message.Payload.Length < 4)
            return; // old kernels sent an empty DONE
        int error = MemoryMarshal.Read<int>(message.Payload.Span);
        if (error < 0)
            throw Failure((Errno)(-error), null, what);
    }

    private static SyscallException Failure(Errno errno, string? reason, string[] what) =>
        new("netlink", errno, reason is null ? what : [.. what, reason]);
}
