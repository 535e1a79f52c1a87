using System.Net;
using System.Net.Sockets;
using static SandboxRt.Interop.Netlink.NetlinkConstants;

namespace SandboxRt.Interop.Netlink;

/// <summary>AF_INET/AF_INET6 as netlink bytes, and addresses checked against their family.</summary>
internal static class AddressFamilies
{
    public static byte ToNetlink(AddressFamily family, string what) => family switch
    {
        AddressFamily.InterNetwork => AF_INET,
        AddressFamily.InterNetworkV6 => AF_INET6,
        _ => throw new ArgumentException($"{what}: address family {family} is neither IPv4 nor IPv6"),
    };

    public static AddressFamily FromNetlink(byte family) =>
        family == AF_INET6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;

    public static bool IsIp(byte family) => family is AF_INET or AF_INET6;

    public static int MaxPrefix(byte family) => family == AF_INET ? 32 : 128;

    public static void CheckPrefix(int prefixLength, byte family, string what)
    {
        if (prefixLength < 0 || prefixLength > MaxPrefix(family))
            throw new ArgumentOutOfRangeException(nameof(prefixLength), prefixLength, $"{what}: prefix length must be 0 to {MaxPrefix(family)}");
    }

    /// <summary>The address in an attribute of a message of <paramref name="family"/>: 4 bytes for AF_INET, 16 for AF_INET6.</summary>
    public static IPAddress Read(NetlinkAttribute attribute, byte family)
    {
        int expected = family == AF_INET ? 4 : 16;
        if (attribute.Value.Length != expected)
            throw new InvalidDataException($"netlink: attribute {attribute.Type} has {attribute.Value.Length} bytes, an address of family {family} needs {expected}");
        return new IPAddress(attribute.Value.Span);
    }
}
