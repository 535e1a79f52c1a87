using System.Net;
using System.Runtime.CompilerServices;
using static SandboxRt.Interop.Netlink.NetlinkConstants;

namespace SandboxRt.Interop.Netlink;

/// <summary>RTM_GETADDR / RTM_NEWADDR requests and the parsing of address messages (ifaddrmsg + IFA_*).</summary>
internal static class AddressMessages
{
    public static NetlinkMessageBuilder Dump(System.Net.Sockets.AddressFamily family) =>
        new NetlinkMessageBuilder(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP)
            .Append(new Interop.IfAddrMsg { Family = AddressFamilies.ToNetlink(family, "RTM_GETADDR") });

    /// <summary>
    /// RTM_NEWADDR with NLM_F_CREATE|NLM_F_REPLACE. IFA_LOCAL and IFA_ADDRESS both carry the address, as
    /// ip(8) sends them (equal values mean "no peer"); loopback addresses get host scope; NoDad sets IFA_F_NODAD.
    /// </summary>
    public static NetlinkMessageBuilder Add(NetAddress address)
    {
        var family = AddressFamilies.ToNetlink(address.Address.AddressFamily, "RTM_NEWADDR");
        AddressFamilies.CheckPrefix(address.PrefixLength, family, "RTM_NEWADDR");
        var bytes = address.Address.GetAddressBytes();
        return new NetlinkMessageBuilder(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE)
            .Append(new Interop.IfAddrMsg
            {
                Family = family,
                PrefixLength = (byte)address.PrefixLength,
                Flags = address.NoDad ? IFA_F_NODAD : (byte)0,
                Scope = IPAddress.IsLoopback(address.Address) ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE,
                Index = address.LinkIndex,
            })
            .Attribute(IFA_LOCAL, bytes)
            .Attribute(IFA_ADDRESS, bytes);
    }

    /// <summary>The address an RTM_NEWADDR describes (IFA_LOCAL, else IFA_ADDRESS); null for other types and families.</summary>
    public static NetAddress? Parse(NetlinkMessage message)
    {
        if (message.Type != RTM_NEWADDR)
            return null;
        var header = message.ReadHeader<Interop.IfAddrMsg>("RTM_NEWADDR");
        if (!AddressFamilies.IsIp(header.Family))
            return null;
        var attributes = message.Attributes(Unsafe.SizeOf<Interop.IfAddrMsg>());
        if ((NetlinkAttribute.Find(attributes, IFA_LOCAL) ?? NetlinkAttribute.Find(attributes, IFA_ADDRESS)) is not { } address)
            return null;
        return new NetAddress(header.Index, AddressFamilies.Read(address, header.Family), header.PrefixLength);
    }
}
