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
            // no entry is ready: the first container gets a VM of its own, and its create spawns the entry
            using (var first = new TestBundle(s => s.Process!.Args = ["true"]))
            {
                var firstId = Id();
                var created = await Cli(state, "create", "--bundle", first.Directory, firstId);
                Assert.True(created.ExitCode == 0, created.Stderr);
                Assert.Equal(0, (await Cli(state, "delete", "--force", firstId)).ExitCode);
            }
            var entry = Assert.Single(CliVmCacheEntries.In(state.Path));
            await CliVmCacheEntries.WaitReadyAsync(entry);
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
            var hierarchies = Directory.EnumerateDirectories("/sys/fs/cgroup").Prepend("/sys/fs/cgroup");
            Assert.DoesNotContain(hierarchies, h => Directory.Exists(h + cgroup));
            Assert.Equal("", await net.PodLeftoversAsync());
            LeakCheck.AssertNothingLeft(state.Path, id);
        }
        finally
        {
            await CliVmCacheEntries.StopAsync(state.Path, except: new HashSet<string>());
        }
    }
}
