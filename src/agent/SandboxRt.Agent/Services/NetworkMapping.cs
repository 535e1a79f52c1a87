using SandboxRt.Agent.Network;
using SandboxRt.Agent.Protocol;

namespace SandboxRt.Agent.Services;

/// <summary>
/// Networking messages to the guest's own records and back. Every field is checked here, before it
/// reaches netlink, and a bad one is an ArgumentException/FormatException naming the field.
/// </summary>
internal static class NetworkMapping
{
    private const int MaxItems = 1024;

    public static GuestInterface ToInterface(Interface? i)
    {
        if (i is null)
            throw new ArgumentException("interface: missing");
        if (i.Mtu != 0 && (i.Mtu < 68 || i.Mtu > 65535))
            throw new ArgumentException($"interface.mtu: {i.Mtu} is outside 68-65535");
        Bounded(i.Addresses.Count, "interface.addresses");
        var addresses = i.Addresses.Select((a, n) =>
        {
            var address = NetworkText.ParseAddress(a.Address, $"interface.addresses[{n}].address");
            if (a.PrefixLength > NetworkText.MaxPrefix(address))
                throw new ArgumentException($"interface.addresses[{n}].prefix_length: {a.PrefixLength} is too long for {address}");
            return (address, (int)a.PrefixLength);
        }).ToList();
        return new GuestInterface(InterfaceName(i.Name, "interface.name"), NetworkText.ParseMac(i.HwAddr), (int)i.Mtu, addresses);
    }

    public static Interface FromInterface(GuestInterface g)
    {
        var i = new Interface { Name = g.Name, HwAddr = g.Mac.Length == 6 ? NetworkText.FormatMac(g.Mac) : "", Mtu = (uint)g.Mtu, Up = g.Up };
        i.Addresses.AddRange(g.Addresses.Select(a => new IPAddress { Address = a.Address.ToString(), PrefixLength = (uint)a.PrefixLength }));
        return i;
    }

    public static IReadOnlyList<GuestRoute> ToRoutes(IList<Route> routes)
    {
        Bounded(routes.Count, "routes");
        return routes.Select((r, n) =>
        {
            string field = $"routes[{n}]";
            System.Net.IPAddress? destination = null;
            int length = 0;
            if (r.Destination.Length > 0)
                (destination, length) = NetworkText.ParsePrefix(r.Destination, field + ".destination");
            var gateway = r.Gateway.Length > 0 ? NetworkText.ParseAddress(r.Gateway, field + ".gateway") : null;
            var source = r.Source.Length > 0 ? NetworkText.ParseAddress(r.Source, field + ".source") : null;
            if (destination is null && gateway is null)
                throw new ArgumentException($"{field}: a default route needs a gateway");
            if (destination is not null && gateway is not null && destination.AddressFamily != gateway.AddressFamily)
                throw new ArgumentException($"{field}: destination {r.Destination} and gateway {r.Gateway} are different families");
            if (r.Scope > 255)
                throw new ArgumentException($"{field}.scope: {r.Scope} is not a route scope");
            return new GuestRoute(InterfaceName(r.Device, field + ".device"), destination, length, gateway, source, (byte)r.Scope);
        }).ToList();
    }

    public static Routes FromRoutes(IEnumerable<GuestRoute> routes)
    {
        var result = new Routes();
        result.Routes_.AddRange(routes.Select(r => new Route
        {
            Destination = r.Destination is null ? "" : NetworkText.FormatPrefix(r.Destination, r.PrefixLength),
            Gateway = r.Gateway?.ToString() ?? "",
            Device = r.Device,
            Source = r.Source?.ToString() ?? "",
            Scope = r.Scope,
        }));
        return result;
    }

    public static IReadOnlyList<GuestNeighbour> ToNeighbours(IList<ARPNeighbor> neighbours)
    {
        Bounded(neighbours.Count, "neighbors");
        return neighbours.Select((n, i) =>
        {
            if (n.State > ushort.MaxValue)
                throw new ArgumentException($"neighbors[{i}].state: {n.State} is not a NUD state");
            return new GuestNeighbour(InterfaceName(n.Device, $"neighbors[{i}].device"), NetworkText.ParseAddress(n.IpAddress, $"neighbors[{i}].ip_address"),
                NetworkText.ParseMac(n.Lladdr), (ushort)n.State);
        }).ToList();
    }

    /// <summary>A Linux interface name: 1-15 bytes, no '/', ':' or whitespace, not "." or "..".</summary>
    public static string InterfaceName(string name, string field)
    {
        if (name.Length is 0 or > 15 || name is "." or ".." || name.Any(c => c is '/' or ':' || char.IsWhiteSpace(c) || c > 0x7e))
            throw new ArgumentException($"{field}: '{name}' is not a valid interface name");
        return name;
    }

    private static void Bounded(int count, string field)
    {
        if (count > MaxItems)
            throw new ArgumentException($"{field}: {count} entries (at most {MaxItems})");
    }
}
