using System.Runtime.InteropServices;
using static SandboxRt.Interop.Netlink.NetlinkConstants;
using Tmds.Linux;

namespace SandboxRt.Interop.Netlink;

// Netlink framing, as this socket speaks it (linux/netlink.h, Documentation/userspace-api/netlink/intro.rst).
//
// A datagram carries one or more messages. Each starts with a 16-byte nlmsghdr {len, type, flags, seq,
// pid}; nlmsg_len counts the header and the payload but not the padding to the next 4-byte boundary.
// The payload is a fixed family header (ifinfomsg, rtmsg, tcmsg...) followed by attributes: a 4-byte
// {nla_len, nla_type} header and a value, nla_len again excluding the padding. Nested attributes are
// attributes whose value is a run of attributes. Nothing the kernel sends is trusted: every length is
// checked against the bytes actually received (NetlinkMessage.Split, NetlinkAttribute.Parse).
//
// Requests carry NLM_F_REQUEST and a sequence number of their own; replies echo it, so anything with
// another number (a reply to a request that timed out) is skipped. Changes carry NLM_F_ACK and end with
// an NLMSG_ERROR message: error 0 is the acknowledgement, a negative errno is the failure, and with
// NETLINK_EXT_ACK the kernel appends the reason as an NLMSGERR_ATTR_MSG attribute (NETLINK_CAP_ACK keeps
// it from echoing our whole request back first). Dumps (NLM_F_DUMP) answer with NLM_F_MULTI messages
// spread over as many datagrams as needed and end with NLMSG_DONE, whose payload is an int error. A dump
// that raced a change is flagged NLM_F_DUMP_INTR and is repeated.
//
// Receiving peeks first with MSG_TRUNC, which returns the datagram's real size, and grows the buffer
// before reading: a datagram is never cut short. Datagrams not sent by the kernel (port id 0) are ignored.

/// <summary>A NETLINK_* socket that sends one request at a time and collects its replies.</summary>
internal sealed class NetlinkSocket : IDisposable
{
    private const int DumpAttempts = 5;
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(30);

    private readonly SafeFdHandle fd;
    private readonly Lock gate = new();
    private byte[] buffer = new byte[64 * 1024];
    private uint sequence = (uint)Environment.TickCount64;

    private NetlinkSocket(SafeFdHandle fd) => this.fd = fd;

    /// <summary>
    /// Opens and binds a socket of <paramref name="protocol"/> in the calling thread's network namespace,
    /// subscribed to the multicast <paramref name="groups"/> (RTMGRP_* bits; 0: none).
    /// </summary>
    public static unsafe NetlinkSocket Open(int protocol, uint groups = 0)
    {
        var fd = new SafeFdHandle(Check.Io(Interop.Socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, protocol),
            "socket", "AF_NETLINK", protocol.ToString()));
        try
        {
            int on = 1;
            // Both are optional: without them errors lose the kernel's reason, nothing else.
            Interop.SetSockOpt(fd.Number, LibC.SOL_NETLINK, Interop.NETLINK_EXT_ACK, &on, sizeof(int));
            Interop.SetSockOpt(fd.Number, LibC.SOL_NETLINK, Interop.NETLINK_CAP_ACK, &on, sizeof(int));
            var timeout = new Interop.TimeVal { Seconds = (long)ReplyTimeout.TotalSeconds };
            Check.Io(Interop.SetSockOpt(fd.Number, LibC.SOL_SOCKET, LibC.SO_RCVTIMEO, &timeout, (uint)sizeof(Interop.TimeVal)),
                "setsockopt", "AF_NETLINK", "SO_RCVTIMEO");
            var address = new Interop.SockaddrNl { Family = (ushort)LibC.AF_NETLINK, Groups = groups };
            Check.Io(Interop.Bind(fd.Number, &address, (uint)sizeof(Interop.SockaddrNl)), "bind", "AF_NETLINK");
            return new NetlinkSocket(fd);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>Sends a change with NLM_F_ACK and waits for the acknowledgement; a failure names <paramref name="what"/>.</summary>
    public void Execute(NetlinkMessageBuilder request, params string[] what) =>
        Transact(request, dump: false, what, out _);

    /// <summary>Sends a request that has one reply (a GET without NLM_F_DUMP) and returns the replies before the ack.</summary>
    public IReadOnlyList<NetlinkMessage> Query(NetlinkMessageBuilder request, params string[] what) =>
        Transact(request, dump: false, what, out _);

    /// <summary>Sends an NLM_F_DUMP request and returns every message up to NLMSG_DONE, repeating interrupted dumps.</summary>
    public IReadOnlyList<NetlinkMessage> Dump(NetlinkMessageBuilder request, params string[] what)
    {
        for (int attempt = 1; ; attempt++)
        {
            var replies = Transact(request, dump: true, what, out bool interrupted);
            if (!interrupted)
                return replies;
            if (attempt == DumpAttempts)
                throw new SyscallException("netlink", Errno.EINTR, [.. what, $"dump interrupted {DumpAttempts} times by concurrent changes"]);
        }
    }

    /// <summary>
    /// For a socket bound to multicast groups: waits up to <paramref name="timeout"/> for a notification,
    /// then discards every one queued (the caller looks again at what it waits for). False when none came;
    /// true also when the kernel dropped notifications for want of room (ENOBUFS): something changed.
    /// </summary>
    public unsafe bool WaitForNotification(TimeSpan timeout)
    {
        int timeoutMs = (int)Math.Clamp(Math.Ceiling(timeout.TotalMilliseconds), 0, int.MaxValue);
        if ((Poller.Poll(fd, PollEvents.In, timeoutMs) & PollEvents.In) == 0)
            return false;
        using var held = new FdRef(fd);
        while (true)
        {
            nint n;
            fixed (byte* p = buffer)
                n = Interop.RecvFrom(fd.Number, p, buffer.Length, LibC.MSG_DONTWAIT | LibC.MSG_TRUNC, null, null);
            if (n >= 0)
                continue;
            var errno = SyscallException.LastErrno;
            if (errno == Errno.EAGAIN)
                return true;
            if (errno is not (Errno.EINTR or Errno.ENOBUFS))
                throw new SyscallException("recvfrom", errno, "netlink notifications");
        }
    }

    public void Dispose() => fd.Dispose();

    private List<NetlinkMessage> Transact(NetlinkMessageBuilder request, bool dump, string[] what, out bool interrupted)
    {
        if ((request.Flags & NLM_F_REQUEST) == 0 || (!dump && (request.Flags & NLM_F_ACK) == 0))
            throw new ArgumentException("a netlink request needs NLM_F_REQUEST, and NLM_F_ACK unless it is a dump", nameof(request));
        lock (gate)
        {
            // Held for the whole exchange: a concurrent Dispose defers the close, so the number is not reused.
            using var held = new FdRef(fd);
            uint seq = ++sequence;
            Send(request.ToArray(seq), what);
            var replies = new List<NetlinkMessage>();
            interrupted = false;
            while (true)
            {
                foreach (var message in NetlinkMessage.Split(Receive(what)))
                {
                    if (message.Sequence != seq)
                        continue;
                    if ((message.Flags & NLM_F_DUMP_INTR) != 0)
                        interrupted = true;
                    switch (message.Type)
                    {
                        case NLMSG_NOOP:
                            continue;
                        case NLMSG_ERROR:
                            NetlinkError.ThrowIfFailed(message, what);
                            return replies; // an acknowledgement
                        case NLMSG_DONE:
                            NetlinkError.ThrowIfDoneFailed(message, what);
                            return replies;
                        case NLMSG_OVERRUN:
                            throw new SyscallException("netlink", Errno.ENOBUFS, [.. what, "NLMSG_OVERRUN"]);
                        default:
                            replies.Add(message);
                            continue;
                    }
                }
            }
        }
    }

    private unsafe void Send(byte[] message, string[] what)
    {
        var kernel = new Interop.SockaddrNl { Family = (ushort)LibC.AF_NETLINK };
        fixed (byte* p = message)
        {
            while (true)
            {
                nint n = Interop.SendTo(fd.Number, p, message.Length, 0, &kernel, (uint)sizeof(Interop.SockaddrNl));
                if (n == message.Length)
                    return;
                if (n >= 0)
                    throw new SyscallException("sendto", Errno.EMSGSIZE, [.. what, $"sent {n} of {message.Length} bytes"]);
                var errno = SyscallException.LastErrno;
                if (errno != Errno.EINTR)
                    throw new SyscallException("sendto", errno, what);
            }
        }
    }

    /// <summary>The next datagram from the kernel, whole.</summary>
    private unsafe ReadOnlyMemory<byte> Receive(string[] what)
    {
        while (true)
        {
            int size = ReceiveInto(LibC.MSG_PEEK | LibC.MSG_TRUNC, out uint sender, what);
            if (size > buffer.Length)
                buffer = new byte[NetlinkMessageBuilder.Align(size)];
            size = ReceiveInto(LibC.MSG_TRUNC, out sender, what);
            if (size > buffer.Length)
                throw new SyscallException("recvfrom", Errno.EMSGSIZE, [.. what, $"datagram of {size} bytes truncated to {buffer.Length}"]);
            if (sender == 0)
                return buffer.AsSpan(0, size).ToArray();
        }
    }

    private unsafe int ReceiveInto(int flags, out uint sender, string[] what)
    {
        while (true)
        {
            var from = new Interop.SockaddrNl();
            uint fromLength = (uint)sizeof(Interop.SockaddrNl);
            nint n;
            fixed (byte* p = buffer)
                n = Interop.RecvFrom(fd.Number, p, buffer.Length, flags, &from, &fromLength);
            if (n >= 0)
            {
                sender = from.PortId;
                return (int)n;
            }
            var errno = SyscallException.LastErrno;
            if (errno == Errno.EAGAIN)
                throw new SyscallException("recvfrom", Errno.ETIMEDOUT, [.. what, $"no reply from the kernel in {ReplyTimeout.TotalSeconds} s"]);
            if (errno != Errno.EINTR)
                throw new SyscallException("recvfrom", errno, what);
        }
    }
}
