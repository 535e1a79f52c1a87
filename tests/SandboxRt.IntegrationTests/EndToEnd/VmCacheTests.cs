using System.Text.Json.Nodes;
using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.EndToEnd;

/// <summary>
/// The shim's VM cache (vm_cache_number) through containerd: `start` tops the cache up, a later pod takes
/// the warm VM (containerd knows its task by the cached VM's hypervisor pid, which moved into the pod's
/// cgroup), a pod's network namespace's interface is hot-plugged into a warm q35 clone, and everything of
/// the entry goes with the pod; a bad claim is refused; unclaimed entries end on SIGTERM, leaving nothing.
/// </summary>
[Trait("Tier", "e2e")]
[Collection("e2e")]
public sealed class VmCacheTests(ContainerdDaemon containerd) : IClassFixture<ContainerdDaemon>
{
    private const string Runtime = "io.containerd.sandboxrt.v2";
    private const string CacheRoot = "/run/sandboxrt/shim/vm-cache";
    private static readonly string ShimBinary = Path.Combine(Path.GetDirectoryName(CliRun.Binary)!, "containerd-shim-sandboxrt-v2");
    private static readonly TimeSpan WarmBound = TimeSpan.FromMinutes(3);

    private static string Id() => "cache-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task A_pod_takes_a_warm_vm_from_the_cache_and_start_tops_the_cache_up()
    {
        TestEnvironment.RequireVmPrerequisites();
        containerd.RequireRunning();
        TestEnvironment.RequireFile(ShimBinary, "the containerd shim (make build)");
        var config = WriteConfig();
        var keysBefore = Keys();
        string? key = null;
        try
        {
            // No entry is ready: the first pod gets a VM of its own, and its start spawns the entry.
            var first = Id();
            var run = await containerd.Ctr(Run(config, "--rm", LocalImage.Reference, first, "sh", "-c", "echo first pod"));
            Assert.Equal("first pod\n", run.Ok().Stdout);
            key = Assert.Single(Keys().Except(keysBefore));
            var entry = Assert.Single(Entries(key));
            await Condition.WaitAsync(() => File.Exists(Path.Combine(entry, "claim.sock")), $"VM cache entry {entry} ready (claim.sock)", WarmBound);
            int hypervisor = RecordedHypervisor(entry);
            Assert.True(hypervisor > 0, $"{entry}/entry.json records the cached VM's hypervisor");
            // a waiting entry works at the lowest priority, every thread of its daemon and of its QEMU
            Assert.All(ProcessProbe.ThreadNices(RecordedPid(entry, "daemon")).Concat(ProcessProbe.ThreadNices(hypervisor)), nice => Assert.Equal(19, nice));

            // A claim that does not hold up is refused, and the entry stays ready for a real one.
            Assert.StartsWith("no: ", Claim(entry, "{\"podId\":\"../x\",\"namespace\":\"default\"}"));
            Assert.StartsWith("no: ", Claim(entry, "not json"));
            Assert.True(File.Exists(Path.Combine(entry, "claim.sock")), "a refused claim leaves the entry ready");

            // The second pod takes the warm VM, and its start tops the cache up again.
            var second = Id();
            var topUp = await RunPodAsync(config, second, null, async pid =>
            {
                Assert.Equal(hypervisor, pid);
                Assert.False(File.Exists(Path.Combine(entry, "claim.sock")), "a claimed entry takes no other pod");
                Assert.Contains(second, File.ReadAllText($"/proc/{hypervisor}/cgroup"));
                // the pod's: back to a pod's priority
                Assert.All(ProcessProbe.ThreadNices(hypervisor), nice => Assert.True(nice < 19, $"the claimed VM's QEMU thread at nice {nice}"));
                Assert.Equal("in the cached VM\n", (await containerd.Ctr("task", "exec", "--exec-id", "e1", second, "echo", "in the cached VM")).Ok().Stdout);
                return Assert.Single(Entries(key), e => e != entry);
            });
            await Condition.WaitAsync(() => !Directory.Exists($"/proc/{hypervisor}") && !Directory.Exists(entry), $"the cached VM (pid {hypervisor}) and its entry {entry} gone with the pod");

            // A pod in a network namespace (as CRI pods are): with templates, the warm VM (a q35 clone) takes
            // its NIC by hot-plug; without, the cached VM (a cold boot) has no port for one, so the pod is
            // not offered to it and gets a VM of its own.
            await Condition.WaitAsync(() => File.Exists(Path.Combine(topUp, "claim.sock")), $"VM cache entry {topUp} ready (claim.sock)", WarmBound);
            int cachedVm = RecordedHypervisor(topUp);
            using var net = await TestNetworkPair.CreateAsync(mtu: 1450);
            await net.ServeFromPeerAsync(8082, "peer-says-hi");
            var third = Id();
            await RunPodAsync(config, third, net.PodNamespacePath, async pid =>
            {
                if (TestEnvironment.TemplatesOff)
                {
                    Assert.NotEqual(cachedVm, pid);
                    Assert.True(File.Exists(Path.Combine(topUp, "claim.sock")), "the cold-booted entry still waits");
                }
                else
                {
                    Assert.Equal(cachedVm, pid);
                }
                var probe = await containerd.Ctr("task", "exec", "--exec-id", "n1", third, "sh", "-c",
                    $"cat /sys/class/net/eth0/address /sys/class/net/eth0/mtu; ip -o -4 addr show eth0; timeout 10 wget -q -O - http://{net.PeerAddress}:8082/");
                Assert.True(probe.ExitCode == 0, probe.Stderr);
                Assert.StartsWith($"{net.PodMac}\n{net.Mtu}\n", probe.Stdout);
                Assert.Contains($"inet {net.PodAddress}/24", probe.Stdout);
                Assert.EndsWith("peer-says-hi\n", probe.Stdout);
                return "";
            });
            Assert.Equal("", await net.PodLeftoversAsync());
            if (!TestEnvironment.TemplatesOff)
                await Condition.WaitAsync(() => !Directory.Exists($"/proc/{cachedVm}") && !Directory.Exists(topUp), $"the cached VM (pid {cachedVm}) and its entry {topUp} gone with the pod");
        }
        finally
        {
            if (key is not null)
                await StopEntriesAsync(key);
        }
    }

    /// <summary>
    /// A cache entry killed (SIGKILL) while it waits leaves its VM running: the next pod's `start` finds the
    /// entry dead and removes what it left (VM, virtiofsd, cgroup, directory). A pod's shim that was a cache
    /// entry, killed, is cleaned up by containerd's `shim delete` like any shim: the VM and the entry go.
    /// </summary>
    [Fact]
    public async Task What_a_killed_entry_or_a_killed_cached_pods_shim_leaves_is_removed()
    {
        TestEnvironment.RequireVmPrerequisites();
        containerd.RequireRunning();
        TestEnvironment.RequireFile(ShimBinary, "the containerd shim (make build)");
        var config = WriteConfig("qemu-vm-cache-kill.json");
        var keysBefore = Keys();
        string? key = null;
        try
        {
            Assert.Equal("one\n", (await containerd.Ctr(Run(config, "--rm", LocalImage.Reference, Id(), "echo", "one"))).Ok().Stdout);
            key = Assert.Single(Keys().Except(keysBefore));
            var killed = Assert.Single(Entries(key));
            await Condition.WaitAsync(() => File.Exists(Path.Combine(killed, "claim.sock")), $"VM cache entry {killed} ready (claim.sock)", WarmBound);
            int daemon = RecordedPid(killed, "daemon"), vm = RecordedHypervisor(killed);
            SandboxRt.Interop.ChildProcesses.Signal(daemon, 9);
            await Condition.WaitAsync(() => !ProcessProbe.IsRunning(daemon), $"the killed entry daemon {daemon} gone");
            Assert.True(ProcessProbe.IsRunning(vm), "the killed entry's QEMU outlives it until a start cleans up");

            // the next pod cannot claim the dead entry; its start removes what the entry left and makes a new one
            Assert.Equal("two\n", (await containerd.Ctr(Run(config, "--rm", LocalImage.Reference, Id(), "echo", "two"))).Ok().Stdout);
            await Condition.WaitAsync(() => !ProcessProbe.IsRunning(vm) && !Directory.Exists(killed), $"the dead entry's QEMU (pid {vm}) and directory {killed} removed");
            Assert.False(Directory.Exists("/sys/fs/cgroup/sandboxrt-vm-cache/" + Path.GetFileName(killed)), "the dead entry's cgroup removed");

            // a pod on a cached VM whose shim is killed: containerd's `shim delete` removes the VM and the entry
            var entry = Assert.Single(Entries(key));
            await Condition.WaitAsync(() => File.Exists(Path.Combine(entry, "claim.sock")), $"VM cache entry {entry} ready (claim.sock)", WarmBound);
            int cachedVm = RecordedHypervisor(entry), shim = RecordedPid(entry, "daemon");
            var pod = Id();
            (await containerd.Ctr(Run(config, "-d", LocalImage.Reference, pod, "sleep", "1000"))).Ok();
            try
            {
                var line = (await containerd.Ctr("task", "ls")).Stdout.Split('\n').Single(l => l.StartsWith(pod));
                Assert.Equal(cachedVm.ToString(), line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
                SandboxRt.Interop.ChildProcesses.Signal(shim, 9);
                if (await LeakChecker.ForShim(containerd.Socket, pod, before: HostSnapshot.Empty).WaitCleanAsync() is { Length: > 0 } left)
                    Assert.Fail($"left behind:\n{left}\ncontainerd about {pod}:\n{string.Join('\n', containerd.Log.Split('\n').Where(l => l.Contains(pod)).TakeLast(30))}");
                await Condition.WaitAsync(() => !ProcessProbe.IsRunning(cachedVm) && !Directory.Exists(entry), $"the cached VM (pid {cachedVm}) and its entry {entry} removed by shim delete");
                await containerd.Ctr("task", "delete", pod);
                (await containerd.Ctr("container", "delete", pod)).Ok();
            }
            finally
            {
                await containerd.Ctr("task", "kill", "-s", "9", pod);
                await containerd.Ctr("task", "delete", "-f", pod);
                await containerd.Ctr("container", "delete", pod);
            }
        }
        finally
        {
            if (key is not null)
                await StopEntriesAsync(key);
        }
    }

    /// <summary>
    /// Runs a pod whose container waits for SIGTERM (in <paramref name="netns"/> when given), hands its
    /// task's host pid to <paramref name="check"/>, then stops and deletes it and checks that nothing of it
    /// is left; returns what <paramref name="check"/> returned.
    /// </summary>
    private async Task<string> RunPodAsync(string config, string id, string? netns, Func<int, Task<string>> check)
    {
        string[] withNs = netns is null ? [] : ["--with-ns", $"network:{netns}"];
        (await containerd.Ctr(Run(config, ["-d", .. withNs, LocalImage.Reference, id, "sh", "-c", "trap 'exit 6' TERM; while true; do sleep 0.2; done"]))).Ok();
        try
        {
            var line = (await containerd.Ctr("task", "ls")).Stdout.Split('\n').Single(l => l.StartsWith(id));
            var result = await check(int.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]));
            (await containerd.Ctr("task", "kill", id)).Ok();
            await Condition.WaitAsync(async () => (await containerd.Ctr("task", "ls")).Stdout.Split('\n').Any(l => l.StartsWith(id) && l.Contains("STOPPED")), $"task {id} stopped");
            Assert.Contains("exit code 6", (await containerd.Ctr("task", "delete", id)).Ok().Stderr);
            (await containerd.Ctr("container", "delete", id)).Ok();
            await LeakChecker.ForShim(containerd.Socket, id, before: HostSnapshot.Empty).AssertCleanAsync();
            return result;
        }
        finally
        {
            await containerd.Ctr("task", "kill", "-s", "9", id);
            await containerd.Ctr("task", "delete", "-f", id);
            await containerd.Ctr("container", "delete", id);
        }
    }

    /// <summary>Every entry of the cache ends on SIGTERM, with its VM, and removes its directory.</summary>
    private static async Task StopEntriesAsync(string key)
    {
        var directory = Path.Combine(CacheRoot, key);
        foreach (var entry in Entries(key))
            await Condition.WaitAsync(() => File.Exists(Path.Combine(entry, "entry.json")) || !Directory.Exists(entry), $"{entry} recorded its daemon");
        var pids = Entries(key).Select(e => (Daemon: RecordedPid(e, "daemon"), Hypervisor: RecordedHypervisor(e))).ToList();
        foreach (var (daemon, _) in pids)
            if (daemon > 0)
                SandboxRt.Interop.ChildProcesses.Signal(daemon, 15);
        await Condition.WaitAsync(() => Entries(key).Count == 0, $"the VM cache entries of {directory} ended on SIGTERM and removed their directories", WarmBound);
        foreach (var (daemon, hypervisor) in pids)
            Assert.False(Directory.Exists($"/proc/{hypervisor}") && hypervisor > 0 && File.ReadAllText($"/proc/{hypervisor}/cmdline").Contains("qemu"), $"an entry's QEMU (pid {hypervisor}, daemon {daemon}) outlived it");
        Directory.Delete(directory, recursive: true); // its lock file
        if (!Directory.EnumerateFileSystemEntries(CacheRoot).Any())
            Directory.Delete(CacheRoot);
    }

    /// <summary>Sends <paramref name="json"/> as a claim (no socket with it) and returns the entry's answer.</summary>
    private static string Claim(string entry, string json)
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified)
        {
            ReceiveTimeout = 30_000,
        };
        socket.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(Path.Combine(entry, "claim.sock")));
        var fd = SandboxRt.Interop.SafeFdHandle.Borrow((int)socket.Handle);
        SandboxRt.Interop.FdPassingSocket.Send(fd, System.Text.Encoding.UTF8.GetBytes(json));
        var answer = SandboxRt.Interop.FdPassingSocket.Receive(fd, 4096, out var passed);
        passed?.Dispose();
        return answer is null ? "(closed)" : System.Text.Encoding.UTF8.GetString(answer);
    }

    private static HashSet<string> Keys() =>
        Directory.Exists(CacheRoot) ? Directory.EnumerateDirectories(CacheRoot).Select(d => Path.GetFileName(d)).ToHashSet() : [];

    private static List<string> Entries(string key)
    {
        var directory = Path.Combine(CacheRoot, key);
        return Directory.Exists(directory) ? Directory.EnumerateDirectories(directory).ToList() : [];
    }

    private static int RecordedHypervisor(string entry) => RecordedPid(entry, "hypervisor");

    private static int RecordedPid(string entry, string field)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(Path.Combine(entry, "entry.json")))?[field]?["pid"]?.GetValue<int>() ?? 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static string[] Run(string config, params string[] rest) => ["run", "--runtime", Runtime, "--runtime-config-path", config, .. rest];

    /// <summary>The test's hypervisor config with one cached VM, in containerd's scratch directory (its own cache key).</summary>
    private string WriteConfig(string name = "qemu-vm-cache.json")
    {
        var path = containerd.ScratchPath(name);
        VmTestConfig.WriteFile(path);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"vm_cache_number\": 0", "\"vm_cache_number\": 1"));
        Assert.Contains("\"vm_cache_number\": 1", File.ReadAllText(path));
        return path;
    }
}
