using System.Net.Sockets;
using static SandboxRt.Interop.Netlink.NetlinkConstants;

namespace SandboxRt.Interop.Netlink;

/// <summary>
/// Links, addresses, routes, neighbours and tc plumbing of one network namespace, over a NETLINK_ROUTE
/// socket. The namespace is the one the opening thread was in; the socket keeps it for its whole life,
/// so the object can be used from any thread afterwards (one request at a time). Failures reported by
/// the kernel are SyscallException("netlink", errno, operation, object..., kernel's reason).
/// </summary>
public sealed class RouteNetlink : IDisposable
{
    private static readonly AddressFamily[] IpFamilies = [AddressFamily.InterNetwork, AddressFamily.InterNetworkV6];
    private readonly NetlinkSocket socket;

    private RouteNetlink(NetlinkSocket socket) => this.socket = socket;

    /// <summary>Opens a NETLINK_ROUTE socket in the calling thread's current network namespace (the socket stays bound to that namespace for its life).</summary>
    public static RouteNetlink Open() => new(NetlinkSocket.Open(Interop.NETLINK_ROUTE));

    /// <summary>
    /// A socket that only listens for link changes (RTMGRP_LINK) in the calling thread's namespace, for
    /// <see cref="WaitForLinkChange"/>; opened before looking for a link, it wakes for one that appears after the look.
    /// </summary>
    public static RouteNetlink OpenLinkWatch() => new(NetlinkSocket.Open(Interop.NETLINK_ROUTE, groups: Interop.RTMGRP_LINK));

    /// <summary>
    /// A socket that listens for changes of links, IPv4 and IPv6 addresses and routes in the calling
    /// thread's namespace, for <see cref="WaitForLinkChange"/>: a namespace someone configures after we
    /// looked (docker network connect moving a veth in, naming it, giving it addresses, bringing it up).
    /// </summary>
    public static RouteNetlink OpenNetworkWatch() => new(NetlinkSocket.Open(Interop.NETLINK_ROUTE,
        groups: Interop.RTMGRP_LINK | Interop.RTMGRP_IPV4_IFADDR | Interop.RTMGRP_IPV4_ROUTE | Interop.RTMGRP_IPV6_IFADDR | Interop.RTMGRP_IPV6_ROUTE));

    /// <summary>On a socket from <see cref="OpenLinkWatch"/> or <see cref="OpenNetworkWatch"/>: waits up to <paramref name="timeout"/> for a change it listens for (a link appearing, going or changing; an address or route), reading every notification queued; false when none came.</summary>
    public bool WaitForLinkChange(TimeSpan timeout) => socket.WaitForNotification(timeout);

    public IReadOnlyList<NetLink> ListLinks() =>
        socket.Dump(LinkMessages.Dump(), "RTM_GETLINK", "dump").Select(LinkMessages.Parse).OfType<NetLink>().ToList();

    /// <summary>The link with <paramref name="index"/>, or null when there is none.</summary>
    public NetLink? GetLink(int index)
    {
        try
        {
            return socket.Query(LinkMessages.Get(index), "RTM_GETLINK", NetlinkText.Device(index))
                .Select(LinkMessages.Parse).OfType<NetLink>().FirstOrDefault();
        }
        catch (SyscallException e) when (e.Errno == Errno.ENODEV)
        {
            return null;
        }
    }

    public NetLink? FindByName(string name) => ListLinks().FirstOrDefault(l => l.Name == name);

    /// <summary>The first link (lowest index) whose IFLA_ADDRESS is <paramref name="mac"/>.</summary>
    public NetLink? FindByMac(byte[] mac)
    {
        if (mac.Length != 6)
            throw new ArgumentException($"a MAC address has 6 bytes, not {mac.Length}", nameof(mac));
        return ListLinks().Where(l => l.Mac.AsSpan().SequenceEqual(mac)).MinBy(l => l.Index);
    }

    /// <summary>IPv4 and IPv6 addresses of every link (link-local ones included).</summary>
    public IReadOnlyList<NetAddress> ListAddresses() =>
        IpFamilies.SelectMany(f => socket.Dump(AddressMessages.Dump(f), "RTM_GETADDR", "dump", Name(f)))
            .Select(AddressMessages.Parse).OfType<NetAddress>().ToList();

    /// <summary>IPv4 and IPv6 unicast routes of the main table.</summary>
    public IReadOnlyList<NetRoute> ListRoutes() =>
        IpFamilies.SelectMany(f => socket.Dump(RouteMessages.Dump(f), "RTM_GETROUTE", "dump", Name(f)))
            .Select(RouteMessages.Parse).OfType<NetRoute>().ToList();

    /// <summary>IPv4 and IPv6 neighbours in every state.</summary>
    public IReadOnlyList<NetNeighbour> ListNeighbours() =>
        IpFamilies.SelectMany(f => socket.Dump(NeighbourMessages.Dump(f), "RTM_GETNEIGH", "dump", Name(f)))
            .Select(NeighbourMessages.Parse).OfType<NetNeighbour>().ToList();

    /// <summary>
    /// Changes an existing link. The kernel refuses to rename a link that is up (EBUSY, even to the
    /// name it already has), so a rename drops an unchanged name, and otherwise brings an up link down
    /// first and then leaves it as <paramref name="up"/> says, or up again as it was.
    /// </summary>
    public void SetLink(int index, string? name = null, int? mtu = null, bool? up = null)
    {
        if (name is not null)
        {
            LinkMessages.CheckName(name);
            var current = GetLink(index); // null: the request below fails with ENODEV and says so
            if (current?.Name == name)
                name = null;
            else if (current is { Up: true })
            {
                RenameWhileUp(index, name, mtu, up ?? true);
                return;
            }
        }
        if (name is not null || mtu is not null || up is not null)
            socket.Execute(LinkMessages.Set(index, name, mtu, up), Describe("RTM_NEWLINK", index, name, mtu, up));
    }

    private void RenameWhileUp(int index, string name, int? mtu, bool finallyUp)
    {
        socket.Execute(LinkMessages.Set(index, up: false), Describe("RTM_NEWLINK", index, null, null, false));
        try
        {
            socket.Execute(LinkMessages.Set(index, name, mtu), Describe("RTM_NEWLINK", index, name, mtu, null));
        }
        catch
        {
            TryRestoreUp(index);
            throw;
        }
        if (finallyUp)
            socket.Execute(LinkMessages.Set(index, up: true), Describe("RTM_NEWLINK", index, null, null, true));
    }

    public void AddAddress(NetAddress address) =>
        socket.Execute(AddressMessages.Add(address), "RTM_NEWADDR",
            NetlinkText.Prefix(address.Address, address.PrefixLength), NetlinkText.Device(address.LinkIndex));

    public void AddRoute(NetRoute route) =>
        socket.Execute(RouteMessages.Add(route), "RTM_NEWROUTE", NetlinkText.Route(route), NetlinkText.Device(route.LinkIndex));

    /// <summary><c>ip route del</c> of the route (destination, gateway, link); false when there is no such route (ESRCH), or its link is gone.</summary>
    public bool DeleteRoute(NetRoute route)
    {
        try
        {
            socket.Execute(RouteMessages.Delete(route), "RTM_DELROUTE", NetlinkText.Route(route), NetlinkText.Device(route.LinkIndex));
            return true;
        }
        catch (SyscallException e) when (e.Errno is Errno.ESRCH or Errno.ENOENT or Errno.ENODEV)
        {
            return false;
        }
    }

    public void AddNeighbour(NetNeighbour neighbour) =>
        socket.Execute(NeighbourMessages.Add(neighbour), "RTM_NEWNEIGH",
            $"{neighbour.Address} lladdr {NetlinkText.Mac(neighbour.Mac)}", NetlinkText.Device(neighbour.LinkIndex));

    /// <summary><c>tc qdisc add dev X ingress</c>.</summary>
    public void AddIngressQdisc(int linkIndex) =>
        socket.Execute(TrafficControlMessages.AddIngressQdisc(linkIndex), "RTM_NEWQDISC", "ingress", NetlinkText.Device(linkIndex));

    /// <summary><c>tc qdisc del dev X ingress</c>, which also drops its filters. False when there was none or the link is gone.</summary>
    public bool DeleteIngressQdisc(int linkIndex)
    {
        try
        {
            socket.Execute(TrafficControlMessages.DeleteIngressQdisc(linkIndex), "RTM_DELQDISC", "ingress", NetlinkText.Device(linkIndex));
            return true;
        }
        catch (SyscallException e) when (e.Errno is Errno.ENOENT or Errno.EINVAL or Errno.ENODEV)
        {
            return false;
        }
    }

    /// <summary><c>tc filter add dev FROM parent ffff: protocol all u32 match u8 0 0 action mirred egress redirect dev TO</c>.</summary>
    public void AddRedirectFilter(int fromLinkIndex, int toLinkIndex) =>
        socket.Execute(TrafficControlMessages.AddRedirectFilter(fromLinkIndex, toLinkIndex), "RTM_NEWTFILTER",
            $"u32 mirred egress redirect {NetlinkText.Device(toLinkIndex)}", NetlinkText.Device(fromLinkIndex));

    public bool HasIngressQdisc(int linkIndex) =>
        socket.Dump(TrafficControlMessages.DumpQdiscs(), "RTM_GETQDISC", "dump")
            .Any(m => TrafficControlMessages.IsIngressQdisc(m, linkIndex));

    public void Dispose() => socket.Dispose();

    private void TryRestoreUp(int index)
    {
        try
        {
            socket.Execute(LinkMessages.Set(index, up: true), Describe("RTM_NEWLINK", index, null, null, true));
        }
        catch (SyscallException)
        {
            // The rename's error is the one worth reporting.
        }
    }

    private static string[] Describe(string operation, int index, string? name, int? mtu, bool? up)
    {
        var parts = new List<string> { operation, NetlinkText.Device(index) };
        if (name is not null)
            parts.Add($"name {name}");
        if (mtu is not null)
            parts.Add($"mtu {mtu}");
        if (up is not null)
            parts.Add(up.Value ? "up" : "down");
        return [.. parts];
    }

    private static string Name(AddressFamily family) => family == AddressFamily.InterNetwork ? "inet" : "inet6";
}
