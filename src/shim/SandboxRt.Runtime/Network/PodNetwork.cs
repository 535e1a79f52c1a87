// Pod networking in Kata's "tcfilter" model.
//
// The pod's network namespace is set up by someone else (a CNI plugin, a test, an operator) exactly as
// for runc: typically one veth with the pod's IP. For each such interface we create a tap in the same
// namespace and join the two with tc: an ingress qdisc on each and a u32 match-all filter whose mirred
// action redirects every frame to the other's egress. The VM gets a virtio-net NIC on the tap with the
// veth's MAC and MTU, and the agent gives the guest NIC the veth's name, addresses, routes and static
// neighbours. Frames from the cluster reach the veth and go straight to the guest; the host stack in
// the pod namespace never sees them, so the VM looks exactly like the pod.
//
// Namespaces are entered on a throwaway thread (setns affects one thread only); the netlink socket and
// the tap descriptors opened there stay bound to the pod namespace. Taps are not persistent: they go
// away when the last descriptor (QEMU's) closes. The veth's qdisc stays until we remove it, which
// Detach does on every path, and DetachRecorded does from network.json when the owner died.
//
// The namespace can change while the VM runs (docker network connect and disconnect): FollowChanges
// mirrors an interface that appeared as Attach does (the record grows first, so clean-up covers it) and
// reports the ones that went; the caller plugs and unplugs the NICs (Relay/NetworkFollower.cs).
using System.Text.Json;
using SandboxRt.Agent.Protocol;
using SandboxRt.Interop;
using SandboxRt.Interop.Netlink;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Network;

public sealed class PodNetwork
{
    public const string RecordFile = "network.json";
    private const ushort NudPermanent = 0x80;
    private readonly string _recordPath;
    private readonly NetworkRecord _record;
    private readonly List<NetworkDevicePlan> _devices;
    /// <summary>The interfaces the VM mirrors, by index in the namespace (their taps' peers).</summary>
    private readonly Dictionary<int, PodInterface> _mirrored;
    /// <summary>Interfaces with an address that cannot be mirrored, already reported (<see cref="FollowChanges"/>).</summary>
    private readonly HashSet<int> _refused = [];
    private List<PodInterface> _interfaces;
    private List<PodRoute> _routes;
    private List<PodNeighbour> _neighbours;

    private PodNetwork(string recordPath, NetworkRecord record, List<NetworkDevicePlan> devices, Dictionary<int, PodInterface> mirrored,
        (IReadOnlyList<PodInterface> Interfaces, IReadOnlyList<PodRoute> Routes, IReadOnlyList<PodNeighbour> Neighbours) scan)
    {
        _recordPath = recordPath;
        _record = record;
        _devices = devices;
        _mirrored = mirrored;
        _interfaces = [.. scan.Interfaces];
        _routes = [.. scan.Routes];
        _neighbours = [.. scan.Neighbours];
    }

    public string NamespacePath => _record.NamespacePath;
    public IReadOnlyList<PodInterface> Interfaces => _interfaces;
    public IReadOnlyList<PodRoute> Routes => _routes;
    public IReadOnlyList<PodNeighbour> Neighbours => _neighbours;
    /// <summary>The VM's NICs; the tap descriptors are ours until <see cref="ReleaseTaps"/>.</summary>
    public IReadOnlyList<NetworkDevicePlan> Devices => _devices;

    /// <summary>
    /// Throws ArgumentException naming <paramref name="field"/> unless the path is a network namespace of
    /// a pod: not the host's (the initial one, PID 1's) and not the one this runtime runs in, whatever path names them
    /// (/proc/1/ns/net, or a bind mount of it under /run/netns). Attach redirects every frame of each
    /// interface it finds there into the VM: given the host's namespace, it would hand the host's own
    /// NICs to the guest.
    /// </summary>
    /// <param name="ownNamespace">
    /// The path is the caller's own network namespace and it was made for this container (a relay started
    /// by RelayLauncher in a fresh namespace, which Docker's libnetwork-setkey hook configured): only the
    /// host's initial namespace is then refused.
    /// </param>
    public static void CheckNamespace(string path, string field, bool ownNamespace = false)
    {
        if (!Path.IsPathRooted(path))
            throw new ArgumentException($"{field}: '{path}' is not an absolute path");
        if (!File.Exists(path))
            throw new ArgumentException($"{field}: network namespace '{path}' does not exist");
        try
        {
            if (!NetworkNamespace.IsNetworkNamespace(path))
                throw new ArgumentException($"{field}: '{path}' is not a network namespace");
            if (HostNamespace(FileIdentity.Of(path), ownNamespace) is { } what)
                throw new ArgumentException($"{field}: '{path}' is {what}; a pod needs a network namespace of its own (its interfaces are handed to the VM; " +
                                            "a VM cannot share the host's network: docker run --network host is not supported)");
        }
        catch (SyscallException e)
        {
            throw new ArgumentException($"{field}: network namespace '{path}' cannot be examined: {e.Message}", e);
        }
    }

    /// <summary>
    /// The inode number Linux gives the initial network namespace (PROC_NET_INIT_INO, include/linux/proc_ns.h)
    /// on kernels with fixed numbers for init namespaces; below PROC_DYNAMIC_FIRST, so no other namespace
    /// ever has it. Needed where /proc/1/ns/net cannot be read (PID 1 not ptrace-accessible, as on the CI VMs).
    /// </summary>
    private const ulong InitialNetworkNamespaceInode = 0xEFFFFFF9;

    /// <summary>What the namespace with this identity is when it is one a pod must never get, else null.</summary>
    public static string? HostNamespace(FileIdentity identity, bool ownNamespace = false)
    {
        if (identity.Inode == InitialNetworkNamespaceInode || SameAs(identity, "/proc/1/ns/net"))
            return "the host's network namespace";
        if (!ownNamespace && SameAs(identity, "/proc/self/ns/net"))
            return "this runtime's own network namespace";
        return null;
    }

    private static bool SameAs(FileIdentity identity, string path)
    {
        try
        {
            return FileIdentity.Of(path) == identity;
        }
        catch (SyscallException)
        {
            return false; // /proc/1 not accessible (hidepid, or PID 1 not ptrace-accessible): nothing to compare with
        }
    }

    /// <summary>
    /// Scans the namespace and wires a tap to each of its interfaces. An interface with an address that
    /// cannot be mirrored (no Ethernet address: a tunnel, a tun) fails the attach: a container never
    /// runs silently without a network it was given. On failure everything made so far is removed
    /// before the exception leaves.
    /// </summary>
    /// <param name="ownNamespace">See <see cref="CheckNamespace"/>.</param>
    public static PodNetwork Attach(string namespacePath, string stateDirectory, bool ownNamespace = false)
    {
        CheckNamespace(namespacePath, "network namespace", ownNamespace);
        // The identity goes into the record: a path such as /proc/PID/ns/net may name another namespace
        // once PID is gone, and Undo must never touch any namespace but this one.
        var record = new NetworkRecord { NamespacePath = namespacePath, NamespaceIdentity = FileIdentity.Of(namespacePath).ToString() };
        var recordPath = Path.Combine(stateDirectory, RecordFile);
        var devices = new List<NetworkDevicePlan>();
        try
        {
            var found = NetworkNamespace.RunIn(namespacePath, () =>
            {
                // The namespace this thread joined, checked again: the path could have been swapped since.
                var joined = FileIdentity.Of("/proc/thread-self/ns/net");
                var what = HostNamespace(joined, ownNamespace) ?? (joined.ToString() != record.NamespaceIdentity ? "no longer the namespace it was a moment ago" : null);
                if (what is not null)
                    throw new ArgumentException($"network namespace: '{namespacePath}' is {what}; a pod needs a network namespace of its own");
                using var netlink = RouteNetlink.Open();
                var all = netlink.ListLinks().Where(l => !l.Loopback).ToList();
                // Our taps already here: another sandbox's VM mirrors this namespace. Its filters take every
                // frame of the interfaces; a second VM could only steal them. A running CLI container of the
                // same --root never gets here (create joins its VM instead: NetworkJoin).
                if (all.FirstOrDefault(l => l.Kind == "tun" && l.Name.EndsWith("_srt", StringComparison.Ordinal)) is { } taken)
                    throw new InvalidOperationException($"linux.namespaces[network].path: network namespace {namespacePath} is already mirrored into another sandbox's VM (it has {taken.Name}), " +
                                                        "and no running container of this --root owns it (a container of another --root, or a containerd shim pod): " +
                                                        "two VMs cannot share one network namespace; docker run --network container:ID works only with a running container of the same runtime and --root");
                var links = all.Where(Mirrorable).OrderBy(l => l.Index).ToList();
                // A host process living here (the init of a runc container: docker run --network container:X
                // with X under runc, or a pod's infra container under runc) would lose every frame of these
                // interfaces to the VM: it is not a namespace a VM can share.
                if (!ownNamespace && links.Count > 0 && ProcessIn(joined) is { } process)
                    throw new InvalidOperationException($"linux.namespaces[network].path: network namespace {namespacePath} is in use by host process {process}, " +
                                                        $"not by a container of this runtime: the VM would take every frame of its interfaces ({string.Join(", ", links.Select(l => l.Name))}) from it; " +
                                                        "a container in a VM shares a network namespace only with containers of the same runtime and --root (docker run --network container:ID)");
                var addressed = netlink.ListAddresses().Where(a => !a.Address.IsIPv6LinkLocal).Select(a => a.LinkIndex).ToHashSet();
                if (all.Where(l => !Mirrorable(l) && addressed.Contains(l.Index)).Select(l => $"{l.Name} ({(l.Kind.Length > 0 ? l.Kind : "no Ethernet address")})").ToList() is { Count: > 0 } unmirrorable)
                    throw new InvalidOperationException($"network namespace {namespacePath}: interface(s) {string.Join(", ", unmirrorable)} have addresses but cannot be mirrored into the VM (only Ethernet interfaces such as veth can)");
                var names = links.ToDictionary(l => l.Index, l => l.Name);
                var scan = Scan(netlink, names);
                foreach (var link in links)
                    devices.Add(Mirror(netlink, link, recordPath, record));
                return (Scan: scan, Links: links);
            });
            var mirrored = found.Links.ToDictionary(l => l.Index, l => found.Scan.Interfaces.First(i => i.Name == l.Name));
            return new PodNetwork(recordPath, record, devices, mirrored, found.Scan);
        }
        catch
        {
            foreach (var device in devices)
                device.Tap.Dispose();
            Undo(record);
            File.Delete(recordPath);
            throw;
        }
    }

    /// <summary>A tap for <paramref name="link"/> (the next tapN_srt), joined to it both ways by tc, recorded before it is made.</summary>
    private static NetworkDevicePlan Mirror(RouteNetlink netlink, NetLink link, string recordPath, NetworkRecord record)
    {
        var tapName = $"tap{record.Taps.Count}_srt";
        record.Links.Add(link.Name);
        record.Taps.Add(tapName);
        Save(recordPath, record);
        var tap = TapDevice.Open(tapName);
        try
        {
            var tapLink = netlink.ListLinks().FirstOrDefault(l => l.Name == tapName)
                ?? throw new InvalidOperationException($"tap {tapName} vanished after it was created in {record.NamespacePath}");
            netlink.SetLink(tapLink.Index, mtu: link.Mtu, up: true);
            netlink.AddIngressQdisc(link.Index);
            netlink.AddIngressQdisc(tapLink.Index);
            netlink.AddRedirectFilter(link.Index, tapLink.Index);
            netlink.AddRedirectFilter(tapLink.Index, link.Index);
        }
        catch
        {
            tap.Dispose();
            throw;
        }
        return new NetworkDevicePlan(tap, link.Mac, link.Mtu);
    }

    /// <summary>
    /// Whether the namespace path no longer names the namespace the VM mirrors (its owner, the process
    /// whose /proc/PID/ns/net it is, has gone): nothing more of it is the VM's to follow.
    /// </summary>
    public bool NamespaceGone
    {
        get
        {
            try
            {
                return FileIdentity.Of(_record.NamespacePath).ToString() != _record.NamespaceIdentity;
            }
            catch (SyscallException)
            {
                return true;
            }
        }
    }

    /// <summary>
    /// What changed in the namespace since the VM was given it (<see cref="Attach"/>, or an earlier call):
    /// an interface that appeared and is up with an address (docker network connect configures a veth
    /// that way: moved in, named, addressed, then up) gets a tap and the mirroring, as at Attach, and comes
    /// back with its NIC; a mirrored interface that is gone (docker network disconnect) comes back by MAC.
    /// Routes and permanent neighbours not seen before on mirrored interfaces come back too, and routes
    /// that went from interfaces still mirrored (until 2026-12-07 the guest kept them). An interface with
    /// an address that cannot be mirrored (a tun) comes back once, by name. On failure nothing of this
    /// call's mirroring is left.
    /// </summary>
    public NetworkChange FollowChanges()
    {
        var devices = new List<NetworkDevicePlan>();
        var added = new List<NetLink>();
        try
        {
            return NetworkNamespace.RunIn(_record.NamespacePath, () =>
            {
                if (FileIdentity.Of("/proc/thread-self/ns/net").ToString() != _record.NamespaceIdentity)
                    throw new InvalidOperationException($"network namespace {_record.NamespacePath} is no longer the one the VM mirrors");
                using var netlink = RouteNetlink.Open();
                var links = netlink.ListLinks();
                var present = links.Select(l => l.Index).ToHashSet();
                var gone = _mirrored.Where(m => !present.Contains(m.Key)).ToList();
                var addressed = netlink.ListAddresses().Where(a => !a.Address.IsIPv6LinkLocal).Select(a => a.LinkIndex).ToHashSet();
                var refused = links.Where(l => !l.Loopback && !Mirrorable(l) && l.Up && addressed.Contains(l.Index) && _refused.Add(l.Index))
                    .Select(l => $"{l.Name} ({(l.Kind.Length > 0 ? l.Kind : "no Ethernet address")})").ToList();
                foreach (var link in links.Where(l => Mirrorable(l) && l.Up && addressed.Contains(l.Index) && !_mirrored.ContainsKey(l.Index) && !_refused.Contains(l.Index))
                             .OrderBy(l => l.Index))
                {
                    added.Add(link); // before its qdiscs: a failure removes them
                    devices.Add(Mirror(netlink, link, _recordPath, _record));
                }
                var names = links.Where(l => _mirrored.ContainsKey(l.Index) || added.Contains(l)).ToDictionary(l => l.Index, l => l.Name);
                var (interfaces, routes, neighbours) = Scan(netlink, names);
                foreach (var (index, _) in gone)
                    _mirrored.Remove(index);
                foreach (var link in added)
                    _mirrored[link.Index] = interfaces.First(i => i.Name == link.Name);
                var goneNames = gone.Select(g => g.Value.Name).ToHashSet();
                var change = new NetworkChange(devices, interfaces.Where(i => added.Any(l => l.Name == i.Name)).ToList(),
                    routes.Except(_routes).ToList(), neighbours.Where(n => !_neighbours.Any(n.SameAs)).ToList(), gone.Select(g => g.Value).ToList(), refused,
                    _routes.Except(routes).Where(r => !goneNames.Contains(r.Device)).ToList());
                _interfaces = [.. interfaces];
                _routes = [.. routes];
                _neighbours = [.. neighbours];
                return change;
            });
        }
        catch
        {
            foreach (var device in devices)
                device.Tap.Dispose();
            Forget(added);
            throw;
        }
    }

    /// <summary>
    /// After a failure to give the VM <paramref name="change"/>'s NICs: their interfaces are no longer
    /// mirrored (their qdiscs go; the taps went with our descriptors), and are not tried again until they
    /// go and come back.
    /// </summary>
    public void Abandon(NetworkChange change)
    {
        foreach (var device in change.Added)
            device.Tap.Dispose();
        var macs = change.AddedInterfaces.Select(i => i.Mac).ToList();
        var links = _mirrored.Where(m => macs.Any(mac => mac.SequenceEqual(m.Value.Mac))).ToList();
        foreach (var (index, _) in links)
            _refused.Add(index);
        Forget(links.Select(l => l.Key).ToList());
    }

    private void Forget(IReadOnlyList<NetLink> links) => Forget(links.Select(l => l.Index).ToList());

    /// <summary>Removes the qdiscs (so the mirroring) from these interfaces and stops counting them as mirrored.</summary>
    private void Forget(IReadOnlyList<int> indexes)
    {
        if (indexes.Count == 0)
            return;
        foreach (var index in indexes)
            _mirrored.Remove(index);
        try
        {
            NetworkNamespace.RunIn(_record.NamespacePath, () =>
            {
                using var netlink = RouteNetlink.Open();
                foreach (var index in indexes)
                    netlink.DeleteIngressQdisc(index);
                return 0;
            });
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or SyscallException)
        {
            // the interfaces (or the namespace) went meanwhile, and their qdiscs with them
        }
    }

    /// <summary>Gives the guest one interface's name, MTU and addresses, and checks that its NIC took its MAC and addresses.</summary>
    public static async Task ConfigureInterfaceAsync(IAgentNetwork agent, PodInterface wanted, CancellationToken cancellationToken)
    {
        var got = await agent.UpdateInterfaceAsync(wanted, cancellationToken);
        var missing = wanted.Addresses.Where(a => !got.Addresses.Contains(a)).ToList();
        if (got.Name != wanted.Name || !got.Mac.SequenceEqual(wanted.Mac) || missing.Count > 0)
            throw new InvalidOperationException($"guest interface {got.Name} ({NetworkText.FormatMac(got.Mac)}) does not match the pod's {wanted.Name}" +
                                                (missing.Count > 0 ? $": missing {string.Join(", ", missing.Select(a => $"{a.Address}/{a.PrefixLength}"))}" : ""));
    }

    /// <summary>Gives the guest the pod's interfaces, routes and neighbours, and checks that each NIC took its MAC and addresses.</summary>
    public async Task ConfigureGuestAsync(IAgentNetwork agent, CancellationToken cancellationToken)
    {
        foreach (var wanted in Interfaces)
            await ConfigureInterfaceAsync(agent, wanted, cancellationToken);
        if (Routes.Count > 0)
            await agent.UpdateRoutesAsync(Routes, cancellationToken);
        if (Neighbours.Count > 0)
            await agent.AddNeighboursAsync(Neighbours, cancellationToken);
    }

    /// <summary>Closes our copies of the tap descriptors once the hypervisor holds its own: the taps then live exactly as long as the VM.</summary>
    public void ReleaseTaps()
    {
        foreach (var device in _devices)
            device.Tap.Dispose();
    }

    /// <summary>Removes the qdiscs (and so the filters) from the pod's interfaces and the taps. Safe to call more than once.</summary>
    public void Detach()
    {
        ReleaseTaps();
        Undo(_record);
        File.Delete(_recordPath);
    }

    /// <summary>Undoes what a dead owner recorded in <paramref name="stateDirectory"/>/network.json; nothing when there is none.</summary>
    public static void DetachRecorded(string stateDirectory)
    {
        var path = Path.Combine(stateDirectory, RecordFile);
        if (!File.Exists(path))
            return;
        NetworkRecord? record = null;
        try
        {
            record = JsonSerializer.Deserialize(File.ReadAllText(path), StateJsonContext.Default.NetworkRecord);
        }
        catch (JsonException)
        {
        }
        if (record is not null)
            Undo(record);
        File.Delete(path);
    }

    /// <summary>
    /// Whether <paramref name="namespacePath"/> has an interface a VM would mirror (a NIC to plug): a
    /// namespace with loopback alone (docker run --network none) needs none.
    /// </summary>
    public static bool HasInterfaces(string namespacePath) =>
        NetworkNamespace.RunIn(namespacePath, () =>
        {
            using var netlink = RouteNetlink.Open();
            return netlink.ListLinks().Any(Mirrorable);
        });

    /// <summary>A process of the host (by pid and name) whose network namespace is <paramref name="ns"/>, other than this one; null when there is none.</summary>
    private static string? ProcessIn(FileIdentity ns)
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out int pid) || pid == Environment.ProcessId)
                continue;
            try
            {
                if (FileIdentity.Of(Path.Combine(directory, "ns", "net")) == ns)
                    return $"{pid} ({File.ReadAllText(Path.Combine(directory, "comm")).Trim()})";
            }
            catch (Exception e) when (e is SyscallException or IOException or UnauthorizedAccessException)
            {
                // gone meanwhile, or a kernel thread's
            }
        }
        return null;
    }

    private static bool Mirrorable(NetLink link) => !link.Loopback && link.Mac.Length == 6 && link.Kind != "tun";

    private static void Undo(NetworkRecord record)
    {
        if (record.Links.Count == 0 || !File.Exists(record.NamespacePath))
            return; // nothing made, or the namespace is gone and everything in it with it
        try
        {
            NetworkNamespace.RunIn(record.NamespacePath, () =>
            {
                if (record.NamespaceIdentity is { } identity && FileIdentity.Of("/proc/thread-self/ns/net").ToString() != identity)
                    return 0; // the path names another namespace now (its process is gone, and the one we changed with it)
                using var netlink = RouteNetlink.Open();
                var byName = netlink.ListLinks().ToDictionary(l => l.Name, l => l.Index);
                foreach (var name in record.Links.Concat(record.Taps))
                    if (byName.TryGetValue(name, out int index))
                        netlink.DeleteIngressQdisc(index);
                return 0;
            });
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException)
        {
            // the namespace went away while we looked (CNI tear-down): so did the qdiscs
        }
    }

    private static (IReadOnlyList<PodInterface> Interfaces, IReadOnlyList<PodRoute> Routes, IReadOnlyList<PodNeighbour> Neighbours) Scan(RouteNetlink netlink, Dictionary<int, string> names)
    {
        var addresses = netlink.ListAddresses().Where(a => names.ContainsKey(a.LinkIndex) && !a.Address.IsIPv6LinkLocal).ToList();
        var interfaces = netlink.ListLinks().Where(l => names.ContainsKey(l.Index)).OrderBy(l => l.Index)
            .Select(l => new PodInterface(l.Name, l.Mac, l.Mtu, addresses.Where(a => a.LinkIndex == l.Index).Select(a => (a.Address, a.PrefixLength)).ToList()))
            .ToList();
        var routes = netlink.ListRoutes()
            .Where(r => names.ContainsKey(r.LinkIndex) && !(r.Destination is { } d && (d.IsIPv6LinkLocal || d.IsIPv6Multicast)))
            .Select(r => new PodRoute(names[r.LinkIndex], r.Destination, r.PrefixLength, r.Gateway, r.Source, r.Scope))
            .ToList();
        var neighbours = netlink.ListNeighbours()
            .Where(n => names.ContainsKey(n.LinkIndex) && (n.State & NudPermanent) != 0 && n.Mac.Length == 6)
            .Select(n => new PodNeighbour(names[n.LinkIndex], n.Address, n.Mac))
            .ToList();
        return (interfaces, routes, neighbours);
    }

    private static void Save(string path, NetworkRecord record) =>
        Storage.PrivateFiles.WriteAllText(path, JsonSerializer.Serialize(record, StateJsonContext.Default.NetworkRecord));
}
