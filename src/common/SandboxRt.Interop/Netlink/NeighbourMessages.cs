using System.Runtime.CompilerServices;
using static SandboxRt.Interop.Netlink.NetlinkConstants;

namespace SandboxRt.Interop.Netlink;

/// <summary>RTM_GETNEIGH / RTM_NEWNEIGH requests and the parsing of neighbour messages (ndmsg + NDA_*).</summary>
internal static class NeighbourMessages
{
    public static NetlinkMessageBuilder Dump(System.Net.Sockets.AddressFamily family) =>
        new NetlinkMessageBuilder(RTM_GETNEIGH, NLM_F_REQUEST | NLM_F_DUMP)
            .Append(new Interop.NdMsg { Family = AddressFamilies.ToNetlink(family, "RTM_GETNEIGH") });

    /// <summary>RTM_NEWNEIGH with NLM_F_CREATE|NLM_F_REPLACE: NDA_DST, and NDA_LLADDR when the MAC is not empty.</summary>
    public static NetlinkMessageBuilder Add(NetNeighbour neighbour)
    {
        var builder = new NetlinkMessageBuilder(RTM_NEWNEIGH, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE)
            .Append(new Interop.NdMsg
            {
                Family = AddressFamilies.ToNetlink(neighbour.Address.AddressFamily, "RTM_NEWNEIGH"),
                Index = neighbour.LinkIndex,
                State = neighbour.State,
            })
            .Attribute(NDA_DST, neighbour.Address.GetAddressBytes());
        if (neighbour.Mac.Length > 0)
            builder.Attribute(NDA_LLADDR, neighbour.Mac);
        return builder;
    }

    /// <summary>The IPv4 or IPv6 neighbour an RTM_NEWNEIGH describes; null for other types and families.</summary>
    public static NetNeighbour? Parse(NetlinkMessage message)
    {
        if (message.Type != RTM_NEWNEIGH)
            return null;
        var header = message.ReadHeader<Interop.NdMsg>("RTM_NEWNEIGH");
        if (!AddressFamilies.IsIp(header.Family))
            return null;
        var attributes = message.Attributes(Unsafe.SizeOf<Interop.NdMsg>());
        if (NetlinkAttribute.Find(attributes, NDA_DST) is not { } destination)
            return null;
        var mac = NetlinkAttribute.Find(attributes, NDA_LLADDR)?.Value.ToArray() ?? [];
        return new NetNeighbour(header.Index, AddressFamilies.Read(destination, header.Family), mac, header.State);
    }
}
