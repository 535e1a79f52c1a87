using System.Runtime.InteropServices;
using System.Text;
using static SandboxRt.Interop.Netlink.NetlinkConstants;

namespace SandboxRt.Interop.Netlink;

/// <summary>
/// Builds one netlink request: the 16-byte nlmsghdr, a fixed family header (ifinfomsg, rtmsg, tcmsg...),
/// then attributes, each padded to 4 bytes, nested ones closed with <see cref="EndNested"/>.
/// The sequence number is filled in by <see cref="ToArray"/> when the socket sends it.
/// </summary>
internal sealed class NetlinkMessageBuilder
{
    private byte[] buffer = new byte[256];
    private int length = HeaderSize;

    public NetlinkMessageBuilder(ushort type, ushort flags)
    {
        Type = type;
        Flags = flags;
    }

    public ushort Type { get; }
    public ushort Flags { get; }

    /// <summary>Bytes written so far, header included.</summary>
    public int Length => length;

    /// <summary>Appends raw bytes (a family header), zero-padded to 4 bytes.</summary>
    public NetlinkMessageBuilder Append(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(Align(bytes.Length)));
        return this;
    }

    internal NetlinkMessageBuilder Append<T>(in T header) where T : unmanaged =>
        Append(MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in header)));

    public NetlinkMessageBuilder Attribute(ushort type, ReadOnlySpan<byte> value)
    {
        if (value.Length > ushort.MaxValue - AttributeHeaderSize)
            throw new ArgumentException($"netlink attribute {type} is {value.Length} bytes, more than an attribute can hold", nameof(value));
        var span = Reserve(Align(AttributeHeaderSize + value.Length));
        WriteAttributeHeader(span, (ushort)(AttributeHeaderSize + value.Length), type);
        value.CopyTo(span[AttributeHeaderSize..]);
        return this;
    }

    public NetlinkMessageBuilder Attribute(ushort type, uint value) =>
        Attribute(type, MemoryMarshal.AsBytes(new ReadOnlySpan<uint>(in value)));

    /// <summary>A NUL-terminated string attribute (names, TCA_KIND).</summary>
    public NetlinkMessageBuilder Attribute(ushort type, string value)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        return Attribute(type, bytes);
    }

    internal NetlinkMessageBuilder Attribute<T>(ushort type, in T value) where T : unmanaged =>
        Attribute(type, MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)));

    /// <summary>Opens a nested attribute; returns the token <see cref="EndNested"/> takes.</summary>
    public int BeginNested(ushort type)
    {
        int start = length;
        WriteAttributeHeader(Reserve(AttributeHeaderSize), AttributeHeaderSize, type);
        return start;
    }

    /// <summary>Closes the nested attribute opened at <paramref name="token"/>: its length covers every child.</summary>
    public NetlinkMessageBuilder EndNested(int token)
    {
        if (token < HeaderSize || token > length - AttributeHeaderSize)
            throw new ArgumentOutOfRangeException(nameof(token), "not a token from BeginNested");
        int size = length - token;
        if (size > ushort.MaxValue)
            throw new InvalidOperationException($"nested netlink attribute is {size} bytes, more than an attribute can hold");
        var type = MemoryMarshal.Read<ushort>(buffer.AsSpan(token + 2));
        WriteAttributeHeader(buffer.AsSpan(token), (ushort)size, type);
        return this;
    }

    /// <summary>The finished message with its length, type, flags and <paramref name="sequence"/> in the header.</summary>
    public byte[] ToArray(uint sequence)
    {
        var header = new Interop.NlMsgHdr { Length = (uint)length, Type = Type, Flags = Flags, Sequence = sequence };
        MemoryMarshal.Write(buffer, in header);
        return buffer.AsSpan(0, length).ToArray();
    }

    /// <summary>NLMSG_ALIGN / NLA_ALIGN: rounds up to 4 bytes.</summary>
    public static int Align(int length) => (length + 3) & ~3;

    private Span<byte> Reserve(int count)
    {
        if (length + count > buffer.Length)
            Array.Resize(ref buffer, Math.Max(buffer.Length * 2, length + count));
        var span = buffer.AsSpan(length, count);
        span.Clear();
        length += count;
        return span;
    }

    private static void WriteAttributeHeader(Span<byte> span, ushort attributeLength, ushort type)
    {
        var header = new Interop.NlAttr { Length = attributeLength, Type = type };
        MemoryMarshal.Write(span, in header);
    }
}
