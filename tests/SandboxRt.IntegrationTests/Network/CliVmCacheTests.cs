using SandboxRt.IntegrationTests.Support;
using SandboxRt.Oci.Spec;

namespace SandboxRt.IntegrationTests.Network;

/// <summary>
/// The runc CLI's VM cache (vm_cache_number=1) without an engine: the first create spawns an entry (a
/// hidden record, not listed); a container in a pod network namespace and a cgroup of its own takes the
/// warm VM (the namespace's veth hot-plugged as a NIC; VM and entry moved into the container's cgroup),
/// and `delete --force` of the running container leaves nothing: no VM, no entry, no cgroup, no tap.
/// </summary>
[Trait("Tier", "vm")]
public sealed class CliVmCacheTests
{
    private static readonly string[] CacheOn = ["--config-option", "vm_cache_number=1"];

    private static Task<CliRun> Cli(ScratchDirectory state, params string[] args) =>
        args[0] == "create" ? CliRun.RunLeavingRelayAsync([.. CacheOn, .. args], state.Path) : CliRun.RunAsync([.. CacheOn, .. args], root: state.Path);

    private static string Id() => "vmc-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task A_container_in_a_pod_namespace_and_cgroup_takes_the_cached_vm_and_delete_force_leaves_nothing()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var net = await TestNetworkPair.CreateAsync(mtu: 1400);
        await net.ServeFromPeerAsync(8083, "from-the-peer");
        using var state = new ScratchDirectory("srt-state");
        try
        {
            var entry = await FirstEntryAsync(state);
            int vm = CliVmCacheEntries.RecordedPid(entry, "hypervisor"), entryProcess = CliVmCacheEntries.RecordedPid(entry, "relay");
            Assert.Equal("", (await Cli(state, "list", "--quiet")).Stdout); // an entry is not a container

            // Without templates the cached VM (a cold boot) cannot take a NIC: the container then asks for a
            // namespace of its own, which has loopback alone, and still takes the VM.
            var cgroup = "/srt-vm-cache-" + Guid.NewGuid().ToString("N")[..8];
            using var bundle = new TestBundle(s =>
            {
                s.Process!.Args = ["sleep", "600"];
                s.Linux!.CgroupsPath = cgroup;
                if (!TestEnvironment.TemplatesOff)
                {
                    s.Linux.Namespaces!.RemoveAll(n => n.Type == "network");
                    s.Linux.Namespaces.Add(new LinuxNamespace { Type = "network", Path = net.PodNamespacePath });
                }
            });
            var id = Id();
            var create = await Cli(state, "create", "--bundle", bundle.Directory, id);
            Assert.True(create.ExitCode == 0, create.Stderr);
            try
            {
                Assert.Equal(id, CliVmCacheEntries.ClaimedBy(entry));
                CliVmCacheEntries.AssertNoWaitingCgroup(entry);
                Assert.Contains(cgroup, File.ReadAllText($"/proc/{vm}/cgroup"));
                Assert.Contains(cgroup, File.ReadAllText($"/proc/{entryProcess}/cgroup"));
                Assert.Equal(0, (await Cli(state, "start", id)).ExitCode);
                Assert.Equal("in the cached VM\n", (await Cli(state, "exec", id, "echo", "in the cached VM")).Stdout);
                if (!TestEnvironment.TemplatesOff)
                {
                    var outbound = await Cli(state, "exec", id, "sh", "-c",
                        $"busybox ip -o -4 addr show eth0; busybox timeout 10 busybox wget -q -O - http://{net.PeerAddress}:8083/");
                    Assert.True(outbound.ExitCode == 0, outbound.Stderr);
                    Assert.Contains($"inet {net.PodAddress}/24", outbound.Stdout);
                    Assert.EndsWith("from-the-peer\n", outbound.Stdout);
                }
                Assert.Equal([id], (await Cli(state, "list", "--quiet")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            }
            finally
            {
                // running: its relay is in the cgroup the entry's removal removes
                Assert.Equal(0, (await Cli(state, "delete", "--force", id)).ExitCode);
            }
            await Condition.WaitAsync(() => !ProcessProbe.IsRunning(vm) && !ProcessProbe.IsRunning(entryProcess) && !Directory.Exists(entry),
                $"the cached VM (pid {vm}), its entry process {entryProcess} and {entry} gone with the container");
            await AssertNothingLeftAsync(net, state, id, cgroup);
        }
        finally
        {
            await CliVmCacheEntries.StopAsync(state.Path, except: new HashSet<string>());
        }
    }

    /// <summary>
    /// Docker's flow: a prestart hook moves the veth into the relay's new namespace. With templates the
    /// relay claims the warm VM while that hook runs (the hook waits until the entry's record names the
    /// container: it would wait forever if the claim came after it), and the veth is plugged in after it.
    /// A second container, whose hook fails once its VM was claimed, fails its create with the hook's
    /// error and leaves nothing: not the entry, not its VM, not the cgroup. Without templates the VM cannot
    /// take the veth, so the hook ends before any claim, and the container boots a VM of its own.
    /// </summary>
    [Fact]
    public async Task The_cached_vm_is_claimed_beside_the_prestart_hook_its_nic_is_plugged_after_it_and_a_failing_hook_leaves_nothing()
    {
        TestEnvironment.RequireVmPrerequisites();
        TestEnvironment.RequireCommand("nsenter", "util-linux");
        using var net = await TestNetworkPair.CreateAsync(mtu: 1400);
        using var state = new ScratchDirectory("srt-state");
        try
        {
            var entry = await FirstEntryAsync(state);

            var id = Id();
            using var bundle = new TestBundle(s => s.Process!.Args = ["sleep", "600"]);
            net.AddSetkeyHook(bundle);
            if (!TestEnvironment.TemplatesOff)
                PrependWaitForClaim(bundle, entry, id);
            var create = await Cli(state, "create", "--bundle", bundle.Directory, id);
            Assert.True(create.ExitCode == 0, create.Stderr);
            try
            {
                Assert.Equal(TestEnvironment.TemplatesOff ? null : id, CliVmCacheEntries.ClaimedBy(entry));
                Assert.Equal(0, (await Cli(state, "start", id)).ExitCode);
                var facts = await Cli(state, "exec", id, "sh", "-c", "cat /sys/class/net/eth0/address; busybox ip -o -4 addr show eth0");
                Assert.True(facts.ExitCode == 0, facts.Stderr);
                Assert.Equal(net.PodMac, facts.Stdout.Split('\n')[0]);
                Assert.Contains($"inet {net.PodAddress}/24", facts.Stdout);
                if (!TestEnvironment.TemplatesOff)
                {
                    // the entry's warm-up plugged, configured and unplugged a NIC of its own: nothing of it is left
                    Assert.Contains("a warm-up NIC plugged, configured and unplugged", File.ReadAllText(Path.Combine(entry, "relay.log")));
                    var links = await Cli(state, "exec", id, "ls", "/sys/class/net");
                    Assert.Equal(["eth0", "lo"], links.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
                    var routes = await Cli(state, "exec", id, "busybox", "ip", "route");
                    Assert.True(routes.ExitCode == 0 && !routes.Stdout.Contains("169.254.25") && !routes.Stdout.Contains("srtwarmup0"), routes.Stdout + routes.Stderr);
                }
            }
            finally
            {
                Assert.Equal(0, (await Cli(state, "delete", "--force", id)).ExitCode);
            }
            LeakCheck.AssertNothingLeft(state.Path, id);

            // the create above topped the cache up (with templates: its entry was taken); the next container takes the ready one
            var ready = Assert.Single(CliVmCacheEntries.In(state.Path));
            await CliVmCacheEntries.WaitReadyAsync(ready);
            int vm = CliVmCacheEntries.RecordedPid(ready, "hypervisor"), entryProcess = CliVmCacheEntries.RecordedPid(ready, "relay");
            var failingId = Id();
            var cgroup = "/srt-vm-cache-" + Guid.NewGuid().ToString("N")[..8];
            using var failing = new TestBundle(s =>
            {
                s.Process!.Args = ["true"];
                s.Linux!.CgroupsPath = cgroup;
            });
            failing.SetPrestartHook("fail.sh", TestEnvironment.TemplatesOff
                ? "#!/bin/sh\necho the hook refused >&2\nexit 3\n"
                : $"#!/bin/sh\n{WaitForClaimScript(ready, failingId)}\necho the hook refused >&2\nexit 3\n");
            var refused = await Cli(state, "create", "--bundle", failing.Directory, failingId);
            Assert.NotEqual(0, refused.ExitCode);
            Assert.Contains("hooks.prestart[0]", refused.Stderr);
            Assert.Contains("the hook refused", refused.Stderr);
            if (TestEnvironment.TemplatesOff)
            {
                Assert.Equal("created", CliVmCacheEntries.Status(ready)); // never claimed: the hook failed first
            }
            else
            {
                await Condition.WaitAsync(() => !ProcessProbe.IsRunning(vm) && !ProcessProbe.IsRunning(entryProcess) && !Directory.Exists(ready),
                    $"the claimed VM (pid {vm}), its entry process {entryProcess} and {ready} gone with the failed create");
                CliVmCacheEntries.AssertNoWaitingCgroup(ready);
            }
            await AssertNothingLeftAsync(net, state, failingId, cgroup);
        }
        finally
        {
            await CliVmCacheEntries.StopAsync(state.Path, except: new HashSet<string>());
        }
    }

    /// <summary>Nothing of container <paramref name="id"/> is left: not its cgroup in any hierarchy, not a tap or qdisc in the pod namespace, not its state.</summary>
    private static async Task AssertNothingLeftAsync(TestNetworkPair net, ScratchDirectory state, string id, string cgroup)
    {
        var hierarchies = Directory.EnumerateDirectories("/sys/fs/cgroup").Prepend("/sys/fs/cgroup");
        Assert.DoesNotContain(hierarchies, h => Directory.Exists(h + cgroup));
        Assert.Equal("", await net.PodLeftoversAsync());
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    /// <summary>
    /// No entry is ready in a new --root: a first container gets a VM of its own, and its create spawns
    /// the entry; returns the entry's directory once it is ready.
    /// </summary>
    private static async Task<string> FirstEntryAsync(ScratchDirectory state)
    {
        using (var first = new TestBundle(s => s.Process!.Args = ["true"]))
        {
            var firstId = Id();
            var created = await Cli(state, "create", "--bundle", first.Directory, firstId);
            Assert.True(created.ExitCode == 0, created.Stderr);
            Assert.Equal(0, (await Cli(state, "delete", "--force", firstId)).ExitCode);
        }
        var entry = Assert.Single(CliVmCacheEntries.In(state.Path));
        await CliVmCacheEntries.WaitReadyAsync(entry);
        return entry;
    }

    /// <summary>Shell lines that wait (bounded) until the entry's record names the container as its claimant, or fail the hook saying so.</summary>
    private static string WaitForClaimScript(string entry, string id) => $$"""
        for i in $(seq 600); do grep -q '{{id}}' '{{entry}}/state.json' 2>/dev/null && break; sleep 0.05; done
        grep -q '{{id}}' '{{entry}}/state.json' || { echo "{{entry}} was not claimed by {{id}} while the prestart hook ran" >&2; exit 1; }
        """;

    /// <summary>The bundle's setkey hook first waits for the claim (<see cref="WaitForClaimScript"/>).</summary>
    private static void PrependWaitForClaim(TestBundle bundle, string entry, string id)
    {
        var hook = bundle.Spec.Hooks!.Prestart![0].Path;
        var script = File.ReadAllText(hook);
        var firstLineEnd = script.IndexOf('\n') + 1;
        File.WriteAllText(hook, script[..firstLineEnd] + WaitForClaimScript(entry, id) + "\n" + script[firstLineEnd..]);
    }
}
