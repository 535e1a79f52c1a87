using System.Runtime.InteropServices;
using Tmds.Linux;

namespace SandboxRt.Interop;

/// <summary>
/// Netlink sockets, /dev/net/tun and nsfs ioctls, and the kernel ABI structs of rtnetlink and tc.
/// Struct layouts follow linux/netlink.h, linux/rtnetlink.h, linux/if_link.h, linux/if_addr.h,
/// linux/neighbour.h, linux/pkt_sched.h, linux/pkt_cls.h and linux/tc_act/tc_mirred.h (host byte order
/// unless a field says otherwise).
/// </summary>
internal static partial class Interop
{
    internal const int NETLINK_ROUTE = 0;
    /// <summary>rtnetlink's multicast group of link changes (linux/rtnetlink.h, the legacy bitmask form nl_groups takes).</summary>
    internal const uint RTMGRP_LINK = 1;
    /// <summary>rtnetlink's groups of IPv4 and IPv6 address and route changes (linux/rtnetlink.h).</summary>
    internal const uint RTMGRP_IPV4_IFADDR = 0x10, RTMGRP_IPV4_ROUTE = 0x40, RTMGRP_IPV6_IFADDR = 0x100, RTMGRP_IPV6_ROUTE = 0x400;

    internal const int NETLINK_CAP_ACK = 10;
    internal const int NETLINK_EXT_ACK = 11;


    // linux/if_tun.h: TUNSETIFF = _IOW('T', 202, int); IFF_* are ifr_flags values for it.
    internal const int TUNSETIFF = 0x400454CA;
    internal const short IFF_TAP = 0x0002;
    internal const short IFF_NO_PI = 0x1000;
    internal const short IFF_VNET_HDR = 0x4000;

    // linux/nsfs.h: NS_GET_NSTYPE = _IO(0xb7, 0x3) returns the CLONE_NEW* type of the namespace.
    internal const int NS_GET_NSTYPE = 0xB703;

    internal static unsafe int SetSockOpt(int fd, int level, int name, void* value, uint length) => LibC.setsockopt(fd, level, name, value, length);

    internal static unsafe nint SendTo(int fd, byte* buffer, nint length, int flags, void* address, uint addressLength) =>
        (nint)(long)LibC.sendto(fd, buffer, (size_t)(ulong)length, flags, (sockaddr*)address, addressLength);

    internal static unsafe nint RecvFrom(int fd, byte* buffer, nint length, int flags, void* address, uint* addressLength) =>
        (nint)(long)LibC.recvfrom(fd, buffer, (size_t)(ulong)length, flags, (sockaddr*)address, (socklen_t*)addressLength);

    /// <summary>struct sockaddr_nl (12 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct SockaddrNl
    {
        public ushort Family;
        public ushort Pad;
        public uint PortId;
        public uint Groups;
    }

    /// <summary>struct timeval (SO_RCVTIMEO).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct TimeVal
    {
        public long Seconds;
        public long Microseconds;
    }

    /// <summary>struct nlmsghdr (16 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct NlMsgHdr
    {
        public uint Length;
        public ushort Type;
        public ushort Flags;
        public uint Sequence;
        public uint PortId;
    }

    /// <summary>struct nlattr / struct rtattr (4 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct NlAttr
    {
        public ushort Length;
        public ushort Type;
    }

    /// <summary>struct ifinfomsg (16 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct IfInfoMsg
    {
        public byte Family;
        public byte Pad;
        public ushort Type;
        public int Index;
        public uint Flags;
        public uint Change;
    }

    /// <summary>struct ifaddrmsg (8 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct IfAddrMsg
    {
        public byte Family;
        public byte PrefixLength;
        public byte Flags;
        public byte Scope;
        public int Index;
    }

    /// <summary>struct rtmsg (12 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct RtMsg
    {
        public byte Family;
        public byte DestinationLength;
        public byte SourceLength;
        public byte Tos;
        public byte Table;
        public byte Protocol;
        public byte Scope;
        public byte Type;
        public uint Flags;
    }

    /// <summary>struct ndmsg (12 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct NdMsg
    {
        public byte Family;
        public byte Pad1;
        public ushort Pad2;
        public int Index;
        public ushort State;
        public byte Flags;
        public byte Type;
    }

    /// <summary>struct tcmsg (20 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct TcMsg
    {
        public byte Family;
        public byte Pad1;
        public ushort Pad2;
        public int Index;
        public uint Handle;
        public uint Parent;
        public uint Info;
    }

    /// <summary>struct tc_u32_sel without its flexible keys[] (16 bytes); OffMask and HMask are big-endian.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct TcU32Sel
    {
        public byte Flags;
        public byte OffShift;
        public byte KeyCount;
        public ushort OffMask;
        public ushort Off;
        public short OffOff;
        public short HOff;
        public uint HMask;
    }

    /// <summary>struct tc_u32_key (16 bytes); Mask and Value are big-endian.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct TcU32Key
    {
        public uint Mask;
        public uint Value;
        public int Off;
        public int OffMask;
    }

    /// <summary>struct tc_mirred: tc_gen (index, capab, action, refcnt, bindcnt), eaction, ifindex (28 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct TcMirred
    {
        public uint Index;
        public uint Capab;
        public int Action;
        public int RefCount;
        public int BindCount;
        public int EgressAction;
        public uint IfIndex;
    }
}
