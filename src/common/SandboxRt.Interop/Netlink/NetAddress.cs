using System.Net;

namespace SandboxRt.Interop.Netlink;

/// <summary>An IPv4 or IPv6 address with its prefix length on the link with index <paramref name="LinkIndex"/>.</summary>
public sealed record NetAddress(int LinkIndex, IPAddress Address, int PrefixLength);
