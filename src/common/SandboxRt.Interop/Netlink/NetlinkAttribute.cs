using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using static SandboxRt.Interop.Netlink.NetlinkConstants;

namespace SandboxRt.Interop.Netlink;

/// <summary>
/// One received attribute (struct nlattr / rtattr): its type without the NLA_F_NESTED and
/// NLA_F_NET_BYTEORDER bits, and its value (the bytes nla_len covers, without padding).
/// </summary>
internal readonly record struct NetlinkAttribute(ushort Type, ReadOnlyMemory<byte> Value)
{
    /// <summary>
    /// Parses a run of attributes. Every nla_len is checked against the bytes left: shorter than the
    /// attribute header or running past the end is <see cref="InvalidDataException"/>. Only the padding
    /// of the last attribute may be missing.
    /// </summary>
    public static IReadOnlyList<NetlinkAttribute> Parse(ReadOnlyMemory<byte> bytes)
    {
        var attributes = new List<NetlinkAttribute>();
        int offset = 0;
        while (offset < bytes.Length)
        {
            int remaining = bytes.Length - offset;
            if (remaining < AttributeHeaderSize)
                throw new InvalidDataException($"netlink: {remaining} trailing bytes after attribute {attributes.Count}, too short for an attribute header");
            var header = MemoryMarshal.Read<Interop.NlAttr>(bytes.Span[offset..]);
            if (header.Length < AttributeHeaderSize || header.Length > remaining)
                throw new InvalidDataException($"netlink: attribute {header.Type & 0x3FFF} claims {header.Length} bytes, {remaining} are left");
            var type = (ushort)(header.Type & ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER));
            attributes.Add(new NetlinkAttribute(type, bytes.Slice(offset + AttributeHeaderSize, header.Length - AttributeHeaderSize)));
            offset += Math.Min(NetlinkMessageBuilder.Align(header.Length), remaining);
        }
        return attributes;
    }

    /// <summary>The first attribute of <paramref name="type"/>, or null.</summary>
    public static NetlinkAttribute? Find(IReadOnlyList<NetlinkAttribute> attributes, ushort type)
    {
        foreach (var attribute in attributes)
            if (attribute.Type == type)
                return attribute;
        return null;
    }

    /// <summary>The attributes nested inside this one.</summary>
    public IReadOnlyList<NetlinkAttribute> Children() => Parse(Value);

    public uint ToUInt32() => Value.Length == 4
        ? MemoryMarshal.Read<uint>(Value.Span)
        : throw new InvalidDataException($"netlink: attribute {Type} has {Value.Length} bytes, a u32 needs 4");

    public byte ToByte() => Value.Length == 1
        ? Value.Span[0]
        : throw new InvalidDataException($"netlink: attribute {Type} has {Value.Length} bytes, a u8 needs 1");

    /// <summary>A string attribute, up to its NUL terminator (or the end when the kernel sent none).</summary>
    public string ToText()
    {
        var span = Value.Span;
        int nul = span.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul < 0 ? span : span[..nul]);
    }

    /// <summary>An IPv4 (4 bytes) or IPv6 (16 bytes) address in network byte order.</summary>
    public IPAddress ToAddress() => Value.Length is 4 or 16
        ? new IPAddress(Value.Span)
        : throw new InvalidDataException($"netlink: attribute {Type} has {Value.Length} bytes, an IP address needs 4 or 16");
}
