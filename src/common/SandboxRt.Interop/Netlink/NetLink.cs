namespace SandboxRt.Interop.Netlink;

/// <summary>
/// A network interface as RTM_NEWLINK describes it. <paramref name="Mac"/> is IFLA_ADDRESS when it is an
/// Ethernet address (6 bytes), empty otherwise (tun, ipip); <paramref name="Kind"/> is IFLA_INFO_KIND
/// ("veth", "tun", "bridge"...) or "" for devices without link info (loopback, physical NICs).
/// </summary>
public sealed record NetLink(int Index, string Name, byte[] Mac, int Mtu, bool Up, bool Loopback, string Kind);
