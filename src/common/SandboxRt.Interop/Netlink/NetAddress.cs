using System.Net;

namespace SandboxRt.Interop.Netlink;

/// <summary>An IPv4 or IPv6 address with its prefix length on the link with index <paramref name="LinkIndex"/>.</summary>
public sealed record NetAddress(int LinkIndex, IPAddress Address, int PrefixLength)
{
    /// <summary>
    /// Added with IFA_F_NODAD: an IPv6 address usable at once, without duplicate address detection (which
    /// keeps it "tentative", unusable as a source, for a second or more). Only read when adding.
    /// </summary>
    public bool NoDad { get; init; }
}
