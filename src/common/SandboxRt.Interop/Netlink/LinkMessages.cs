using System.Text;
using static SandboxRt.Interop.Netlink.NetlinkConstants;

namespace SandboxRt.Interop.Netlink;

/// <summary>RTM_GETLINK / RTM_NEWLINK requests and the parsing of link messages (ifinfomsg + IFLA_*).</summary>
internal static class LinkMessages
{
    /// <summary>The interface name limit: IFNAMSIZ (16) minus the terminator.</summary>
    public const int MaxNameLength = 15;

    public static NetlinkMessageBuilder Dump() =>
        new NetlinkMessageBuilder(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP)
            .Append(new Interop.IfInfoMsg { Family = AF_UNSPEC })
            .Attribute(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);

    public static NetlinkMessageBuilder Get(int index) =>
        new NetlinkMessageBuilder(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK)
            .Append(new Interop.IfInfoMsg { Family = AF_UNSPEC, Index = index })
            .Attribute(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);

    /// <summary>One RTM_NEWLINK on an existing link: the attributes given, IFF_UP changed only when <paramref name="up"/> is set.</summary>
    public static NetlinkMessageBuilder Set(int index, string? name = null, int? mtu = null, bool? up = null)
    {
        if (name is not null)
            CheckName(name);
        if (mtu is < 0)
            throw new ArgumentOutOfRangeException(nameof(mtu), mtu, "MTU must not be negative");
        var builder = new NetlinkMessageBuilder(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK)
            .Append(new Interop.IfInfoMsg
            {
                Family = AF_UNSPEC,
                Index = index,
                Flags = up == true ? IFF_UP : 0,
                Change = up.HasValue ? IFF_UP : 0,
            });
        if (name is not null)
            builder.Attribute(IFLA_IFNAME, name);
        if (mtu is { } m)
            builder.Attribute(IFLA_MTU, (uint)m);
        return builder;
    }

    /// <summary>The link an RTM_NEWLINK describes; null for other message types.</summary>
    public static NetLink? Parse(NetlinkMessage message)
    {
        if (message.Type != RTM_NEWLINK)
            return null;
        var header = message.ReadHeader<Interop.IfInfoMsg>("RTM_NEWLINK");
        var attributes = message.Attributes(System.Runtime.CompilerServices.Unsafe.SizeOf<Interop.IfInfoMsg>());
        var name = NetlinkAttribute.Find(attributes, IFLA_IFNAME)?.ToText() ?? "";
        var mtu = NetlinkAttribute.Find(attributes, IFLA_MTU)?.ToUInt32() ?? 0;
        var mac = NetlinkAttribute.Find(attributes, IFLA_ADDRESS) is { Value.Length: 6 } address ? address.Value.ToArray() : [];
        var kind = "";
        if (NetlinkAttribute.Find(attributes, IFLA_LINKINFO) is { } info)
            kind = NetlinkAttribute.Find(info.Children(), IFLA_INFO_KIND)?.ToText() ?? "";
        return new NetLink(header.Index, name, mac, (int)Math.Min(mtu, int.MaxValue),
            (header.Flags & IFF_UP) != 0, (header.Flags & IFF_LOOPBACK) != 0, kind);
    }

    /// <summary>Rejects names the kernel would (dev_valid_name): empty, ".", "..", over 15 bytes, '/', ':' or whitespace.</summary>
    public static void CheckName(string name)
    {
        int bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes == 0 || bytes > MaxNameLength || name is "." or ".." || name.Any(c => c == '/' || c == ':' || char.IsWhiteSpace(c) || c == '\0'))
            throw new ArgumentException($"'{name}' is not a valid interface name (1 to {MaxNameLength} bytes, no '/', ':' or spaces)", nameof(name));
    }
}
