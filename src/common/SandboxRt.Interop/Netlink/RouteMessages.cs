using System.Runtime.CompilerServices;
using static SandboxRt.Interop.Netlink.NetlinkConstants;

namespace SandboxRt.Interop.Netlink;

/// <summary>RTM_GETROUTE / RTM_NEWROUTE requests and the parsing of route messages (rtmsg + RTA_*).</summary>
internal static class RouteMessages
{
    public static NetlinkMessageBuilder Dump(System.Net.Sockets.AddressFamily family) =>
        new NetlinkMessageBuilder(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP)
            .Append(new Interop.RtMsg { Family = AddressFamilies.ToNetlink(family, "RTM_GETROUTE") });

    /// <summary>RTM_NEWROUTE with NLM_F_CREATE|NLM_F_REPLACE: table main, protocol boot, type unicast, the route's scope.</summary>
    public static NetlinkMessageBuilder Add(NetRoute route)
    {
        var family = AddressFamilies.ToNetlink(route.EffectiveFamily, "RTM_NEWROUTE");
        foreach (var address in new[] { route.Destination, route.Gateway, route.Source })
            if (address is not null && AddressFamilies.ToNetlink(address.AddressFamily, "RTM_NEWROUTE") != family)
                throw new ArgumentException($"route {NetlinkText.Route(route)} mixes IPv4 and IPv6 addresses", nameof(route));
        if (route.Destination is null && route.PrefixLength != 0)
            throw new ArgumentException($"a default route has prefix length 0, not {route.PrefixLength}", nameof(route));
        AddressFamilies.CheckPrefix(route.PrefixLength, family, "RTM_NEWROUTE");

        var builder = new NetlinkMessageBuilder(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE)
            .Append(new Interop.RtMsg
            {
                Family = family,
                DestinationLength = (byte)route.PrefixLength,
                Table = RT_TABLE_MAIN,
                Protocol = RTPROT_BOOT,
                Scope = route.Scope,
                Type = RTN_UNICAST,
            });
        if (route.Destination is not null)
            builder.Attribute(RTA_DST, route.Destination.GetAddressBytes());
        if (route.Gateway is not null)
            builder.Attribute(RTA_GATEWAY, route.Gateway.GetAddressBytes());
        if (route.Source is not null)
            builder.Attribute(RTA_PREFSRC, route.Source.GetAddressBytes());
        if (route.LinkIndex > 0)
            builder.Attribute(RTA_OIF, (uint)route.LinkIndex);
        return builder;
    }

    /// <summary>
    /// RTM_DELROUTE of the main table's route to the route's destination through its gateway and link (each
    /// when given); any protocol, scope and type, as `ip route del` matches.
    /// </summary>
    public static NetlinkMessageBuilder Delete(NetRoute route)
    {
        var family = AddressFamilies.ToNetlink(route.EffectiveFamily, "RTM_DELROUTE");
        AddressFamilies.CheckPrefix(route.PrefixLength, family, "RTM_DELROUTE");
        var builder = new NetlinkMessageBuilder(RTM_DELROUTE, NLM_F_REQUEST | NLM_F_ACK)
            .Append(new Interop.RtMsg
            {
                Family = family,
                DestinationLength = (byte)(route.Destination is null ? 0 : route.PrefixLength),
                Table = RT_TABLE_MAIN,
                Scope = RT_SCOPE_NOWHERE,
            });
        if (route.Destination is not null)
            builder.Attribute(RTA_DST, route.Destination.GetAddressBytes());
        if (route.Gateway is not null)
            builder.Attribute(RTA_GATEWAY, route.Gateway.GetAddressBytes());
        if (route.LinkIndex > 0)
            builder.Attribute(RTA_OIF, (uint)route.LinkIndex);
        return builder;
    }

    /// <summary>
    /// The route an RTM_NEWROUTE describes when it is an IPv4 or IPv6 unicast route of the main table and
    /// not a cached clone; null otherwise.
    /// </summary>
    public static NetRoute? Parse(NetlinkMessage message)
    {
        if (message.Type != RTM_NEWROUTE)
            return null;
        var header = message.ReadHeader<Interop.RtMsg>("RTM_NEWROUTE");
        if (!AddressFamilies.IsIp(header.Family) || header.Type != RTN_UNICAST || (header.Flags & RTM_F_CLONED) != 0)
            return null;
        var attributes = message.Attributes(Unsafe.SizeOf<Interop.RtMsg>());
        var table = NetlinkAttribute.Find(attributes, RTA_TABLE)?.ToUInt32() ?? header.Table;
        if (table != RT_TABLE_MAIN)
            return null;
        var destination = NetlinkAttribute.Find(attributes, RTA_DST) is { } dst ? AddressFamilies.Read(dst, header.Family) : null;
        var gateway = NetlinkAttribute.Find(attributes, RTA_GATEWAY) is { } gw ? AddressFamilies.Read(gw, header.Family) : null;
        var source = NetlinkAttribute.Find(attributes, RTA_PREFSRC) is { } src ? AddressFamilies.Read(src, header.Family) : null;
        var link = NetlinkAttribute.Find(attributes, RTA_OIF)?.ToUInt32() ?? 0;
        return new NetRoute((int)link, destination, destination is null ? 0 : header.DestinationLength, gateway, source, header.Scope)
        {
            Family = AddressFamilies.FromNetlink(header.Family),
        };
    }
}
