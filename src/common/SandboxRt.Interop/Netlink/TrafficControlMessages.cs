using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using static SandboxRt.Interop.Netlink.NetlinkConstants;

namespace SandboxRt.Interop.Netlink;

/// <summary>
/// tc requests (tcmsg + TCA_*) for the Kata-style tap plumbing: an ingress qdisc on each side and a u32
/// filter that redirects every frame to the other device with mirred. The bytes match what tc(8) sends
/// for the same command lines.
/// </summary>
internal static class TrafficControlMessages
{
    /// <summary>The preference tc(8) gives the first filter when none is named.</summary>
    public const ushort DefaultFilterPriority = 49152;

    /// <summary><c>tc qdisc add dev X ingress</c> (NLM_F_CREATE|NLM_F_EXCL: an existing one is EEXIST).</summary>
    public static NetlinkMessageBuilder AddIngressQdisc(int linkIndex) =>
        IngressQdisc(RTM_NEWQDISC, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, linkIndex);

    /// <summary><c>tc qdisc del dev X ingress</c>; the kind makes the kernel refuse to delete a clsact qdisc.</summary>
    public static NetlinkMessageBuilder DeleteIngressQdisc(int linkIndex) =>
        IngressQdisc(RTM_DELQDISC, NLM_F_REQUEST | NLM_F_ACK, linkIndex);

    public static NetlinkMessageBuilder DumpQdiscs() =>
        new NetlinkMessageBuilder(RTM_GETQDISC, NLM_F_REQUEST | NLM_F_DUMP).Append(new Interop.TcMsg());

    /// <summary>True when <paramref name="message"/> is an RTM_NEWQDISC for the ingress qdisc of <paramref name="linkIndex"/>.</summary>
    public static bool IsIngressQdisc(NetlinkMessage message, int linkIndex)
    {
        if (message.Type != RTM_NEWQDISC)
            return false;
        var header = message.ReadHeader<Interop.TcMsg>("RTM_NEWQDISC");
        if (header.Index != linkIndex || header.Parent != TC_H_INGRESS)
            return false;
        var attributes = message.Attributes(Unsafe.SizeOf<Interop.TcMsg>());
        return NetlinkAttribute.Find(attributes, TCA_KIND)?.ToText() == "ingress";
    }

    /// <summary>
    /// <c>tc filter add dev FROM parent ffff: protocol all prio P u32 match u8 0 0 action mirred egress redirect dev TO</c>.
    /// </summary>
    public static NetlinkMessageBuilder AddRedirectFilter(int fromLinkIndex, int toLinkIndex, ushort priority = DefaultFilterPriority)
    {
        if (toLinkIndex <= 0)
            throw new ArgumentOutOfRangeException(nameof(toLinkIndex), toLinkIndex, "the redirect target must be a link index");
        ushort protocol = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(ETH_P_ALL) : ETH_P_ALL; // htons
        var builder = new NetlinkMessageBuilder(RTM_NEWTFILTER, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL)
            .Append(new Interop.TcMsg
            {
                Family = AF_UNSPEC,
                Index = fromLinkIndex,
                Parent = IngressHandle,
                Info = ((uint)priority << 16) | protocol,
            })
            .Attribute(TCA_KIND, "u32");
        int options = builder.BeginNested(TCA_OPTIONS);
        {
            int actions = builder.BeginNested(TCA_U32_ACT);
            int first = builder.BeginNested(1); // action order 1
            builder.Attribute(TCA_ACT_KIND, "mirred");
            int mirredOptions = builder.BeginNested(TCA_ACT_OPTIONS | NLA_F_NESTED);
            builder.Attribute(TCA_MIRRED_PARMS, new Interop.TcMirred
            {
                Action = TC_ACT_STOLEN,
                EgressAction = TCA_EGRESS_REDIR,
                IfIndex = (uint)toLinkIndex,
            });
            builder.EndNested(mirredOptions).EndNested(first).EndNested(actions);

            // One key that matches every frame: mask 0, value 0 at offset 0 ("match u8 0 0").
            Span<byte> selector = stackalloc byte[Unsafe.SizeOf<Interop.TcU32Sel>() + Unsafe.SizeOf<Interop.TcU32Key>()];
            selector.Clear();
            var sel = new Interop.TcU32Sel { Flags = TC_U32_TERMINAL, KeyCount = 1 };
            System.Runtime.InteropServices.MemoryMarshal.Write(selector, in sel);
            builder.Attribute(TCA_U32_SEL, selector);
        }
        return builder.EndNested(options);
    }

    private static NetlinkMessageBuilder IngressQdisc(ushort type, ushort flags, int linkIndex) =>
        new NetlinkMessageBuilder(type, flags)
            .Append(new Interop.TcMsg { Family = AF_UNSPEC, Index = linkIndex, Handle = IngressHandle, Parent = TC_H_INGRESS })
            .Attribute(TCA_KIND, "ingress");
}
