using System.Net;

namespace SandboxRt.Interop.Netlink;

/// <summary>How objects are named in error messages: as ip(8) and tc(8) would print them.</summary>
internal static class NetlinkText
{
    public static string Mac(byte[] mac) => mac.Length == 0 ? "none" : string.Join(':', mac.Select(b => b.ToString("x2")));

    public static string Device(int index) => $"dev {index}";

    public static string Prefix(IPAddress address, int prefixLength) => $"{address}/{prefixLength}";

    public static string Route(NetRoute route)
    {
        var text = route.Destination is null ? "default" : Prefix(route.Destination, route.PrefixLength);
        if (route.Gateway is not null)
            text += $" via {route.Gateway}";
        if (route.Source is not null)
            text += $" src {route.Source}";
        return text;
    }
}
