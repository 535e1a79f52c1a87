using System.Net;
using System.Net.Sockets;

namespace SandboxRt.Interop.Netlink;

/// <summary>
/// A unicast route of the main table. <paramref name="Destination"/> null is the default route;
/// <paramref name="Source"/> is the preferred source (RTA_PREFSRC, ip's "src"); <paramref name="Scope"/> is
/// an RT_SCOPE_* value (0 universe, 253 link, 254 host). The family follows Destination ?? Gateway ?? Source,
/// and <see cref="Family"/> only when all three are null (a device-only default route).
/// </summary>
public sealed record NetRoute(int LinkIndex, IPAddress? Destination, int PrefixLength, IPAddress? Gateway, IPAddress? Source, byte Scope)
{
    public AddressFamily Family { get; init; } = AddressFamily.InterNetwork;

    /// <summary>The family the route is written with: that of its first address, else <see cref="Family"/>.</summary>
    public AddressFamily EffectiveFamily => (Destination ?? Gateway ?? Source)?.AddressFamily ?? Family;
}
