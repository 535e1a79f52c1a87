using System.Globalization;

namespace SandboxRt.Agent.Protocol;

/// <summary>
/// The text forms the networking messages carry: MAC addresses as "aa:bb:cc:dd:ee:ff" and prefixes as
/// "10.88.0.0/16". Parsing is strict: these strings cross the host/guest boundary in both directions.
/// </summary>
public static class NetworkText
{
    public static string FormatMac(ReadOnlySpan<byte> mac) => string.Join(':', mac.ToArray().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));

    /// <summary>Six colon-separated hex bytes; anything else is a FormatException naming the value.</summary>
    public static byte[] ParseMac(string text)
    {
        var parts = text.Split(':');
        if (parts.Length != 6 || parts.Any(p => p.Length != 2))
            throw new FormatException($"'{text}' is not a MAC address (aa:bb:cc:dd:ee:ff)");
        var mac = new byte[6];
        for (int i = 0; i < 6; i++)
            if (!byte.TryParse(parts[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out mac[i]))
                throw new FormatException($"'{text}' is not a MAC address (aa:bb:cc:dd:ee:ff)");
        return mac;
    }

    public static System.Net.IPAddress ParseAddress(string text, string field) =>
        System.Net.IPAddress.TryParse(text, out var address) && !text.Contains('%')
            ? address
            : throw new FormatException($"{field}: '{text}' is not an IPv4 or IPv6 address");

    public static string FormatPrefix(System.Net.IPAddress address, int length) => $"{address}/{length}";

    /// <summary>"addr/len"; a bare address is a host prefix (/32 or /128).</summary>
    public static (System.Net.IPAddress Address, int Length) ParsePrefix(string text, string field)
    {
        int slash = text.IndexOf('/');
        var address = ParseAddress(slash < 0 ? text : text[..slash], field);
        int max = MaxPrefix(address);
        if (slash < 0)
            return (address, max);
        if (!int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int length) || length > max)
            throw new FormatException($"{field}: '{text}' has no valid prefix length (0-{max})");
        return (address, length);
    }

    public static int MaxPrefix(System.Net.IPAddress address) => address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 128 : 32;
}
