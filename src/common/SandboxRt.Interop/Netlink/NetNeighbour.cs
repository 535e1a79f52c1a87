using System.Net;

namespace SandboxRt.Interop.Netlink;

/// <summary>
/// An ARP or NDP entry. <paramref name="Mac"/> is empty for entries without a link-layer address
/// (INCOMPLETE, FAILED); <paramref name="State"/> is a NUD_* value from linux/neighbour.h.
/// </summary>
public sealed record NetNeighbour(int LinkIndex, IPAddress Address, byte[] Mac, ushort State)
{
    public const ushort NudReachable = 0x02, NudStale = 0x04, NudNoArp = 0x40, NudPermanent = 0x80;
}
