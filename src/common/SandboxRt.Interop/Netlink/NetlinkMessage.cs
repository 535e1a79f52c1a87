using System.Runtime.InteropServices;
using static SandboxRt.Interop.Netlink.NetlinkConstants;

namespace SandboxRt.Interop.Netlink;

/// <summary>One message of a received datagram: the nlmsghdr fields and the bytes after the header.</summary>
internal readonly record struct NetlinkMessage(ushort Type, ushort Flags, uint Sequence, uint PortId, ReadOnlyMemory<byte> Payload)
{
    /// <summary>
    /// Splits a datagram into its messages. Every nlmsg_len is checked against what was received:
    /// a length below the header size, past the end, or trailing bytes that cannot hold a header are
    /// <see cref="InvalidDataException"/>.
    /// </summary>
    public static IReadOnlyList<NetlinkMessage> Split(ReadOnlyMemory<byte> datagram)
    {
        var messages = new List<NetlinkMessage>();
        int offset = 0;
        while (offset < datagram.Length)
        {
            int remaining = datagram.Length - offset;
            if (remaining < HeaderSize)
                throw new InvalidDataException($"netlink: {remaining} trailing bytes after message {messages.Count}, too short for a header");
            var header = MemoryMarshal.Read<Interop.NlMsgHdr>(datagram.Span[offset..]);
            if (header.Length < HeaderSize || header.Length > remaining)
                throw new InvalidDataException($"netlink: message {messages.Count} claims {header.Length} bytes, {remaining} are left in the datagram");
            int length = (int)header.Length;
            messages.Add(new NetlinkMessage(header.Type, header.Flags, header.Sequence, header.PortId,
                datagram.Slice(offset + HeaderSize, length - HeaderSize)));
            offset += Math.Min(NetlinkMessageBuilder.Align(length), remaining);
        }
        return messages;
    }

    /// <summary>The fixed family header at the start of the payload (ifinfomsg, rtmsg...), or an error naming what was short.</summary>
    internal T ReadHeader<T>(string what) where T : unmanaged
    {
        int size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        if (Payload.Length < size)
            throw new InvalidDataException($"netlink: {what} message has {Payload.Length} payload bytes, its header needs {size}");
        return MemoryMarshal.Read<T>(Payload.Span);
    }

    /// <summary>The attributes after a fixed header of <paramref name="headerSize"/> bytes.</summary>
    public IReadOnlyList<NetlinkAttribute> Attributes(int headerSize)
    {
        int start = NetlinkMessageBuilder.Align(headerSize);
        if (start > Payload.Length)
            throw new InvalidDataException($"netlink: message type {Type} has {Payload.Length} payload bytes, its header needs {headerSize}");
        return NetlinkAttribute.Parse(Payload[start..]);
    }
}
