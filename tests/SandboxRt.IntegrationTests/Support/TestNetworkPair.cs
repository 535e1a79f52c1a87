using System.Diagnostics;
using System.Text.Json;

namespace SandboxRt.IntegrationTests.Support;

/// <summary>
/// Two network namespaces of the test's own, as the network rule requires: "pod" (what a CNI plugin
/// would have made: eth0, one end of a veth pair, with an address, an MTU, a default route and a static
/// neighbour) and "peer" (the other end). A container attached to the pod namespace reaches the peer
/// and the peer reaches it; nothing touches the host's namespace. Dispose deletes both namespaces and
/// stops the servers started in the peer.
/// </summary>
internal sealed class TestNetworkPair : IDisposable
{
    private readonly List<Process> _servers = [];
    private readonly List<ScratchDirectory> _scratch = [];

    private TestNetworkPair(string suffix, int subnet, int mtu)
    {
        Pod = "srt-pod-" + suffix;
        Peer = "srt-peer-" + suffix;
        PodAddress = $"10.77.{subnet}.2";
        PeerAddress = $"10.77.{subnet}.1";
        Mtu = mtu;
    }

    public string Pod { get; }
    public string Peer { get; }
    public string PodNamespacePath => "/var/run/netns/" + Pod;
    public string PodAddress { get; }
    public string PeerAddress { get; }
    public int Mtu { get; }
    public string NeighbourAddress => PeerAddress[..PeerAddress.LastIndexOf('.')] + ".9";
    public const string NeighbourMac = "02:00:00:77:00:09";
    public string PodMac { get; private set; } = "";

    public static async Task<TestNetworkPair> CreateAsync(int mtu = 1400)
    {
        TestEnvironment.RequireFile("/usr/sbin/ip", "iproute2");
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var pair = new TestNetworkPair(suffix, Random.Shared.Next(1, 250), mtu);
        try
        {
            await Ip("netns", "add", pair.Pod);
            await Ip("netns", "add", pair.Peer);
            await Ip("-n", pair.Pod, "link", "add", "eth0", "mtu", mtu.ToString(), "type", "veth", "peer", "name", "peer0", "mtu", mtu.ToString(), "netns", pair.Peer);
            foreach (var (ns, dev, address) in new[] { (pair.Pod, "eth0", pair.PodAddress), (pair.Peer, "peer0", pair.PeerAddress) })
            {
                await Ip("-n", ns, "link", "set", "lo", "up");
                await Ip("-n", ns, "addr", "add", address + "/24", "dev", dev);
                await Ip("-n", ns, "link", "set", dev, "up");
            }
            await Ip("-n", pair.Pod, "route", "add", "default", "via", pair.PeerAddress, "dev", "eth0");
            await Ip("-n", pair.Pod, "neigh", "add", pair.NeighbourAddress, "lladdr", NeighbourMac, "dev", "eth0", "nud", "permanent");
            pair.PodMac = JsonDocument.Parse(await Ip("-j", "-n", pair.Pod, "link", "show", "eth0")).RootElement[0].GetProperty("address").GetString()!;
            return pair;
        }
        catch
        {
            pair.Dispose();
            throw;
        }
    }

    /// <summary>The pod's address on the second link (<see cref="AddSecondLinkAsync"/>), and the peer's.</summary>
    public string PodAddress1 => "10.78." + PodAddress.Split('.')[2] + ".2";
    public string PeerAddress1 => "10.78." + PodAddress.Split('.')[2] + ".1";

    /// <summary>
    /// What `docker network connect` does to a running container's namespace: a second veth, eth1 in the
    /// pod (peer1 in the peer), given its address and brought up, in that order. Returns eth1's MAC.
    /// </summary>
    public async Task<string> AddSecondLinkAsync()
    {
        await Ip("-n", Pod, "link", "add", "eth1", "type", "veth", "peer", "name", "peer1", "netns", Peer);
        await Ip("-n", Peer, "addr", "add", PeerAddress1 + "/24", "dev", "peer1");
        await Ip("-n", Peer, "link", "set", "peer1", "up");
        await Ip("-n", Pod, "addr", "add", PodAddress1 + "/24", "dev", "eth1");
        await Ip("-n", Pod, "link", "set", "eth1", "up");
        return JsonDocument.Parse(await Ip("-j", "-n", Pod, "link", "show", "eth1")).RootElement[0].GetProperty("address").GetString()!;
    }

    /// <summary>What `docker network disconnect` does: the pod's eth1 (and so the peer's end) deleted.</summary>
    public Task RemoveSecondLinkAsync() => Ip("-n", Pod, "link", "del", "eth1");

    /// <summary>Runs `ip ARGS` and returns its stdout; a failure fails the test with ip's message.</summary>
    public static async Task<string> Ip(params string[] args) => (await Command.RunAsync("/usr/sbin/ip", args)).Ok().Stdout;

    /// <summary>Runs a command inside the peer namespace.</summary>
    public Task<Command> InPeerAsync(params string[] command) => Command.RunAsync("/usr/sbin/ip", ["netns", "exec", Peer, .. command], timeout: TimeSpan.FromSeconds(30));

    /// <summary>Runs a command inside the pod namespace (on the host: what the tc and tap set-up looks like there).</summary>
    public Task<Command> InPodAsync(params string[] command) => Command.RunAsync("/usr/sbin/ip", ["netns", "exec", Pod, .. command], timeout: TimeSpan.FromSeconds(30));

    /// <summary>Serves <paramref name="body"/> as / over HTTP from the peer namespace (busybox httpd on the peer's address).</summary>
    public async Task ServeFromPeerAsync(int port, string body)
    {
        var dir = new ScratchDirectory("srt-peer-www");
        _scratch.Add(dir);
        File.WriteAllText(dir.Combine("index.html"), body + "\n");
        var server = Process.Start(new ProcessStartInfo("/usr/sbin/ip", ["netns", "exec", Peer, TestInitramfs.Busybox, "httpd", "-f", "-p", $"{PeerAddress}:{port}", "-h", dir.Path])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        _servers.Add(server);
        var probe = await FetchFromPeerAsync(PeerAddress, port, TimeSpan.FromSeconds(5));
        if (probe.Stdout != body + "\n")
            throw new InvalidOperationException($"busybox httpd on {PeerAddress}:{port} in {Peer} does not serve the page: {probe.Stderr}");
    }

    /// <summary>Fetches http://ADDRESS:PORT/ from the peer namespace, retrying while the server comes up.</summary>
    public async Task<Command> FetchFromPeerAsync(string address, int port, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var fetch = await InPeerAsync(TestInitramfs.Busybox, "timeout", "5", TestInitramfs.Busybox, "wget", "-q", "-O", "-", $"http://{address}:{port}/");
            if (fetch.ExitCode == 0 || DateTime.UtcNow > deadline)
                return fetch;
            await Task.Delay(300);
        }
    }

    /// <summary>What the runtime left in the pod namespace: tap devices and ingress qdiscs.</summary>
    public async Task<string> PodLeftoversAsync()
    {
        var links = (await InPodAsync("/usr/sbin/ip", "-o", "link", "show")).Stdout;
        var qdiscs = (await InPodAsync("/usr/sbin/tc", "qdisc", "show")).Stdout;
        var taps = links.Split('\n').Where(l => l.Contains("tap")).ToList();
        var ingress = qdiscs.Split('\n').Where(l => l.Contains("ingress")).ToList();
        return string.Join("\n", taps.Concat(ingress));
    }

    /// <summary>
    /// Docker's flow without Docker: a prestart hook on <paramref name="bundle"/> that, given the state on
    /// stdin, moves the pod's eth0 into /proc/PID/ns/net (the relay's new namespace) and configures it
    /// there with the pod's address and default route, as libnetwork-setkey does. Saves the bundle.
    /// With <paramref name="waitForVmIn"/> (a container's state.json) the hook first waits until the record
    /// names a running VM (given up after 60 s, failing the hook): the VM must start while the hook runs.
    /// </summary>
    public void AddSetkeyHook(TestBundle bundle, string? waitForVmIn = null)
    {
        var wait = waitForVmIn is null ? "" : WaitForVm(waitForVmIn);
        bundle.SetPrestartHook("setkey.sh", $"""
            #!/bin/sh
            set -e
            {wait}
            pid=$(sed 's/.*"pid":\([0-9]*\).*/\1/')
            /usr/sbin/ip -n {Pod} link set eth0 netns "$pid"
            nsenter --net=/proc/$pid/ns/net /usr/sbin/ip addr add {PodAddress}/24 dev eth0
            nsenter --net=/proc/$pid/ns/net /usr/sbin/ip link set eth0 up
            nsenter --net=/proc/$pid/ns/net /usr/sbin/ip route add default via {PeerAddress} dev eth0
            """);
    }

    /// <summary>
    /// A hook's shell line that waits until <paramref name="stateJson"/> (a container's record) names a
    /// running VM, and fails the hook when none came within 60 s.
    /// </summary>
    public static string WaitForVm(string stateJson) =>
        $$"""i=0; until grep -q '"hypervisor": {' {{stateJson}} 2>/dev/null; do [ $i -lt 6000 ] || { echo "no VM while the hook ran" >&2; exit 1; }; sleep 0.01; i=$((i+1)); done""";

    public void Dispose()
    {
        foreach (var server in _servers)
        {
            try
            {
                server.Kill(entireProcessTree: true);
                server.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
            }
            server.Dispose();
        }
        foreach (var ns in new[] { Pod, Peer })
            if (File.Exists("/var/run/netns/" + ns))
                Command.RunAsync("/usr/sbin/ip", ["netns", "delete", ns]).GetAwaiter().GetResult();
        foreach (var dir in _scratch)
            dir.Dispose();
    }
}
