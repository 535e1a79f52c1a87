using System.Net.Sockets;
using SandboxRt.Interop;
using SandboxRt.Interop.Netlink;

namespace SandboxRt.Agent.Network;

/// <summary>
/// The guest's network configuration, applied over rtnetlink in the agent's (the guest's root) network
/// namespace. Containers whose host spec names a network namespace share this one, so what is set here
/// is what they see. One change at a time.
/// </summary>
internal sealed class GuestNetwork
{
    public const ushort NudPermanent = 0x80;
    /// <summary>How long to wait for a NIC the host says exists: virtio-net probes while the agent starts.</summary>
    private static readonly TimeSpan NicWait = TimeSpan.FromSeconds(10); // a clone's NICs are hot-plugged just before (VM templates)
    private readonly Lock _lock = new();

    /// <summary>Brings up the guest's own loopback: containers sharing the guest namespace use it.</summary>
    public static void BringUpLoopback() => NetworkDevices.BringUp("lo");

    public GuestInterface UpdateInterface(GuestInterface wanted)
    {
        lock (_lock)
        {
            using var netlink = RouteNetlink.Open();
            var link = WaitForMac(netlink, wanted.Mac);
            if (link.Name != wanted.Name && netlink.ListLinks().Any(l => l.Name == wanted.Name && l.Index != link.Index))
                throw new InvalidOperationException($"cannot rename {link.Name} to {wanted.Name}: another guest interface has that name");
            netlink.SetLink(link.Index, name: link.Name == wanted.Name ? null : wanted.Name, mtu: wanted.Mtu > 0 ? wanted.Mtu : null);
            // IPv6 addresses without duplicate address detection, as Docker's libnetwork adds them (a runc
            // container's show "flags 02"): they are the pod namespace's, whose owner gave them out, and
            // that namespace answers for none of them (its frames are redirected here). With detection an address stays "tentative" for a
            // second or more, and the container's first packets from it fail.
            foreach (var (address, length) in wanted.Addresses)
                netlink.AddAddress(new NetAddress(link.Index, address, length) { NoDad = address.AddressFamily == AddressFamily.InterNetworkV6 });
            netlink.SetLink(link.Index, up: true);
            AgentLog.Info($"network: {link.Name} ({wanted.Name}) mtu {wanted.Mtu} addresses {string.Join(", ", wanted.Addresses.Select(a => $"{a.Address}/{a.PrefixLength}"))}");
            return Describe(netlink, link.Index);
        }
    }

    /// <summary>Adds the routes, on-link ones first so that gateways are reachable; returns every route afterwards.</summary>
    public IReadOnlyList<GuestRoute> UpdateRoutes(IReadOnlyList<GuestRoute> routes)
    {
        lock (_lock)
        {
            using var netlink = RouteNetlink.Open();
            var byName = netlink.ListLinks().ToDictionary(l => l.Name, l => l.Index);
            foreach (var route in routes.OrderBy(r => r.Gateway is null ? 0 : 1))
            {
                if (!byName.TryGetValue(route.Device, out int index))
                    throw new KeyNotFoundException($"route to {Describe(route)}: no guest interface {route.Device}");
                var family = (route.Destination ?? route.Gateway ?? route.Source)?.AddressFamily ?? AddressFamily.InterNetwork;
                netlink.AddRoute(new NetRoute(index, route.Destination, route.PrefixLength, route.Gateway, route.Source, route.Scope) { Family = family });
            }
            return ListRoutes(netlink);
        }
    }

    /// <summary>Deletes the routes the guest still has (one whose interface went, went with it); returns every route afterwards.</summary>
    public IReadOnlyList<GuestRoute> RemoveRoutes(IReadOnlyList<GuestRoute> routes)
    {
        lock (_lock)
        {
            using var netlink = RouteNetlink.Open();
            var byName = netlink.ListLinks().ToDictionary(l => l.Name, l => l.Index);
            foreach (var route in routes)
            {
                if (!byName.TryGetValue(route.Device, out int index))
                    continue;
                var family = (route.Destination ?? route.Gateway ?? route.Source)?.AddressFamily ?? AddressFamily.InterNetwork;
                if (netlink.DeleteRoute(new NetRoute(index, route.Destination, route.PrefixLength, route.Gateway, route.Source, route.Scope) { Family = family }))
                    AgentLog.Info($"network: route to {Describe(route)} on {route.Device} removed");
            }
            return ListRoutes(netlink);
        }
    }

    public void AddNeighbours(IReadOnlyList<GuestNeighbour> neighbours)
    {
        lock (_lock)
        {
            using var netlink = RouteNetlink.Open();
            var byName = netlink.ListLinks().ToDictionary(l => l.Name, l => l.Index);
            foreach (var n in neighbours)
            {
                if (!byName.TryGetValue(n.Device, out int index))
                    throw new KeyNotFoundException($"neighbour {n.Address}: no guest interface {n.Device}");
                netlink.AddNeighbour(new NetNeighbour(index, n.Address, n.Mac, n.State == 0 ? NudPermanent : n.State));
            }
        }
    }

    public IReadOnlyList<GuestInterface> ListInterfaces()
    {
        using var netlink = RouteNetlink.Open();
        return netlink.ListLinks().Select(l => Describe(netlink, l.Index)).ToList();
    }

    public IReadOnlyList<GuestRoute> ListRoutes()
    {
        using var netlink = RouteNetlink.Open();
        return ListRoutes(netlink);
    }

    private static IReadOnlyList<GuestRoute> ListRoutes(RouteNetlink netlink)
    {
        var names = netlink.ListLinks().ToDictionary(l => l.Index, l => l.Name);
        return netlink.ListRoutes()
            .Select(r => new GuestRoute(names.GetValueOrDefault(r.LinkIndex, ""), r.Destination, r.PrefixLength, r.Gateway, r.Source, r.Scope))
            .ToList();
    }

    private static GuestInterface Describe(RouteNetlink netlink, int index)
    {
        var link = netlink.ListLinks().First(l => l.Index == index);
        var addresses = netlink.ListAddresses().Where(a => a.LinkIndex == index).Select(a => (a.Address, a.PrefixLength)).ToList();
        return new GuestInterface(link.Name, link.Mac, link.Mtu, addresses, link.Up);
    }

    /// <summary>The link with <paramref name="mac"/>, once the guest has it: woken by each link change (a hot-plugged NIC probing), bounded by <see cref="NicWait"/>.</summary>
    private static NetLink WaitForMac(RouteNetlink netlink, byte[] mac)
    {
        var deadline = DateTime.UtcNow + NicWait;
        using var changes = RouteNetlink.OpenLinkWatch(); // before the first look: a NIC that registers after it still wakes the wait
        while (true)
        {
            if (netlink.FindByMac(mac) is { } link)
                return link;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
                throw new KeyNotFoundException($"no guest network interface has MAC {Protocol.NetworkText.FormatMac(mac)} " +
                                               $"(guest interfaces: {string.Join(", ", netlink.ListLinks().Select(l => $"{l.Name} {Protocol.NetworkText.FormatMac(l.Mac)}"))})");
            changes.WaitForLinkChange(left);
        }
    }

    private static string Describe(GuestRoute r) => r.Destination is null ? "default" : $"{r.Destination}/{r.PrefixLength}";
}
