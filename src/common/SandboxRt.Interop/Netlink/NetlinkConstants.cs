namespace SandboxRt.Interop.Netlink;

/// <summary>Protocol numbers of netlink, rtnetlink and tc, with the kernel header each group comes from.</summary>
internal static class NetlinkConstants
{
    // linux/netlink.h: control messages and header flags.
    public const ushort NLMSG_NOOP = 1, NLMSG_ERROR = 2, NLMSG_DONE = 3, NLMSG_OVERRUN = 4;
    public const ushort NLM_F_REQUEST = 0x1, NLM_F_MULTI = 0x2, NLM_F_ACK = 0x4, NLM_F_DUMP_INTR = 0x10;
    public const ushort NLM_F_DUMP = 0x300;                                                     // ROOT | MATCH
    public const ushort NLM_F_REPLACE = 0x100, NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400;       // for NEW requests
    public const ushort NLM_F_CAPPED = 0x100, NLM_F_ACK_TLVS = 0x200;                          // on NLMSG_ERROR
    public const ushort NLMSGERR_ATTR_MSG = 1;
    public const ushort NLA_F_NESTED = 0x8000, NLA_F_NET_BYTEORDER = 0x4000;
    public const int HeaderSize = 16, AttributeHeaderSize = 4;

    // linux/rtnetlink.h: message types.
    public const ushort RTM_NEWLINK = 16, RTM_GETLINK = 18;
    public const ushort RTM_NEWADDR = 20, RTM_GETADDR = 22;
    public const ushort RTM_NEWROUTE = 24, RTM_DELROUTE = 25, RTM_GETROUTE = 26;
    public const ushort RTM_NEWNEIGH = 28, RTM_GETNEIGH = 30;
    public const ushort RTM_NEWQDISC = 36, RTM_DELQDISC = 37, RTM_GETQDISC = 38;
    public const ushort RTM_NEWTFILTER = 44;

    // linux/socket.h
    public const byte AF_UNSPEC = 0, AF_INET = 2, AF_INET6 = 10;

    // linux/if.h: ifi_flags.
    public const uint IFF_UP = 0x1, IFF_LOOPBACK = 0x8;

    // linux/if_link.h
    public const ushort IFLA_ADDRESS = 1, IFLA_IFNAME = 3, IFLA_MTU = 4, IFLA_LINKINFO = 18, IFLA_EXT_MASK = 29;
    public const ushort IFLA_INFO_KIND = 1;
    public const uint RTEXT_FILTER_SKIP_STATS = 1 << 3;                                          // rtnetlink.h

    // linux/if_addr.h
    public const ushort IFA_ADDRESS = 1, IFA_LOCAL = 2;
    /// <summary>ifa_flags: no duplicate address detection (linux/if_addr.h).</summary>
    public const byte IFA_F_NODAD = 0x02;

    // linux/rtnetlink.h: routes.
    public const ushort RTA_DST = 1, RTA_OIF = 4, RTA_GATEWAY = 5, RTA_PREFSRC = 7, RTA_TABLE = 15;
    public const byte RT_TABLE_MAIN = 254, RTPROT_BOOT = 3, RTN_UNICAST = 1;
    public const byte RT_SCOPE_UNIVERSE = 0, RT_SCOPE_HOST = 254, RT_SCOPE_NOWHERE = 255;
    public const uint RTM_F_CLONED = 0x200;

    // linux/neighbour.h
    public const ushort NDA_DST = 1, NDA_LLADDR = 2;

    // linux/rtnetlink.h (TCA_*), linux/pkt_sched.h (handles), linux/if_ether.h (ETH_P_ALL).
    public const ushort TCA_KIND = 1, TCA_OPTIONS = 2;
    public const uint TC_H_INGRESS = 0xFFFFFFF1, IngressHandle = 0xFFFF0000;
    public const ushort ETH_P_ALL = 0x0003;

    // linux/pkt_cls.h: u32 classifier and actions.
    public const ushort TCA_U32_SEL = 5, TCA_U32_ACT = 7;
    public const byte TC_U32_TERMINAL = 1;
    public const ushort TCA_ACT_KIND = 1, TCA_ACT_OPTIONS = 2;
    public const int TC_ACT_STOLEN = 4;

    // linux/tc_act/tc_mirred.h
    public const ushort TCA_MIRRED_PARMS = 2;
    public const int TCA_EGRESS_REDIR = 1;
}
