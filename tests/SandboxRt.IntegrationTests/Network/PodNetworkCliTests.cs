using SandboxRt.IntegrationTests.Support;
using SandboxRt.Oci.Spec;

namespace SandboxRt.IntegrationTests.Network;

/// <summary>
/// Pod networking through the runc CLI: a bundle whose linux.namespaces names a network namespace path
/// (the test's own "pod" namespace) gets a VM whose guest mirrors that namespace's eth0 through a tap and
/// tc redirects. Asserted from inside the container and from the peer namespace across the veth.
/// </summary>
[Trait("Tier", "vm")]
public sealed class PodNetworkCliTests
{
    private static Task<CliRun> Cli(ScratchDirectory state, params string[] args) =>
        args[0] == "create" ? CliRun.RunLeavingRelayAsync(args, state.Path) : CliRun.RunAsync(args, root: state.Path);

    private static void UsePodNetwork(Spec spec, string path)
    {
        var namespaces = spec.Linux!.Namespaces!;
        namespaces.RemoveAll(n => n.Type == "network");
        namespaces.Add(new LinuxNamespace { Type = "network", Path = path });
    }

    [Fact]
    public async Task The_container_gets_the_pods_interface_and_reaches_the_peer_both_ways()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var net = await TestNetworkPair.CreateAsync(mtu: 1400);
        await net.ServeFromPeerAsync(8081, "from-the-peer");
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s =>
        {
            s.Root!.Readonly = false;
            s.Process!.Args = ["sh", "-c", "mkdir -p /tmp/www && echo from-the-pod > /tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www"];
            UsePodNetwork(s, net.PodNamespacePath);
            // podman's default sysctl, and the one containerd 2.0 gives every CRI container: net.* sysctls
            // apply in the VM's namespace (they were refused as not namespaced when the guest spec dropped it)
            s.Linux!.Sysctl = new() { ["net.ipv4.ping_group_range"] = "0 0", ["net.ipv4.ip_unprivileged_port_start"] = "0" };
        });
        var id = "net-" + Guid.NewGuid().ToString("N")[..8];
        var create = await Cli(state, "create", "--bundle", bundle.Directory, id);
        Assert.True(create.ExitCode == 0, create.Stderr);
        try
        {
            // while the VM runs, the pod namespace has the tap and the two redirects
            var tc = (await net.InPodAsync("/usr/sbin/tc", "filter", "show", "dev", "eth0", "ingress")).Stdout;
            Assert.Contains("mirred (Egress Redirect to device tap0_srt)", tc);
            Assert.Equal(0, (await Cli(state, "start", id)).ExitCode);

            var facts = await Cli(state, "exec", id, "sh", "-c",
                "cat /sys/class/net/eth0/address /sys/class/net/eth0/mtu; busybox ip -o -4 addr show eth0; busybox ip route; busybox ip neigh show " + net.NeighbourAddress +
                "; cat /proc/sys/net/ipv4/ping_group_range /proc/sys/net/ipv4/ip_unprivileged_port_start");
            Assert.True(facts.ExitCode == 0, facts.Stderr);
            var lines = facts.Stdout.Split('\n');
            Assert.Equal(["0\t0", "0"], lines.Where(l => l.Length > 0).TakeLast(2));
            Assert.Equal(net.PodMac, lines[0]);                                           // the veth's MAC
            Assert.Equal(net.Mtu.ToString(), lines[1]);                                   // and its MTU
            Assert.Contains($"inet {net.PodAddress}/24", facts.Stdout);                   // and its address
            Assert.Contains($"default via {net.PeerAddress} dev eth0", facts.Stdout);     // and its routes
            var neighbour = lines.Single(l => l.StartsWith(net.NeighbourAddress + " "));          // and its static neighbour
            Assert.StartsWith($"{net.NeighbourAddress} dev eth0 lladdr {TestNetworkPair.NeighbourMac}", neighbour);
            Assert.Contains("PERMANENT", neighbour);
            Assert.DoesNotContain("tap", facts.Stdout);

            var outbound = await Cli(state, "exec", id, "busybox", "timeout", "10", "busybox", "wget", "-q", "-O", "-", $"http://{net.PeerAddress}:8081/");
            Assert.True(outbound.ExitCode == 0, $"the container could not fetch from the peer: {outbound.Stderr}");
            Assert.Equal("from-the-peer\n", outbound.Stdout);

            var inbound = await net.FetchFromPeerAsync(net.PodAddress, 8080, TimeSpan.FromSeconds(20));
            Assert.True(inbound.ExitCode == 0, $"the peer could not fetch from the container: {inbound.Stderr}");
            Assert.Equal("from-the-pod\n", inbound.Stdout);
        }
        finally
        {
            await Cli(state, "delete", "--force", id);
        }
        Assert.Equal("", await net.PodLeftoversAsync());                                  // no tap, qdisc or filter left
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    /// <summary>
    /// A namespace a host process lives in (the peer's end of Docker's --network container:X with X under
    /// runc) is refused before any VM starts, naming the field and the process, and left as it was.
    /// </summary>
    [Fact]
    public async Task A_namespace_a_host_process_lives_in_is_refused_naming_the_process()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var net = await TestNetworkPair.CreateAsync();
        using var state = new ScratchDirectory("srt-state");
        var dweller = System.Diagnostics.Process.Start("/usr/sbin/ip", ["netns", "exec", net.Pod, "sleep", "600"]);
        try
        {
            await Condition.WaitAsync(() => System.Diagnostics.Process.GetProcessesByName("sleep").Any(p => IsIn(p.Id, net.PodNamespacePath)), "sleep in the pod namespace");
            using var bundle = new TestBundle(s =>
            {
                s.Process!.Args = ["true"];
                UsePodNetwork(s, net.PodNamespacePath);
            });
            var id = "dwelt-" + Guid.NewGuid().ToString("N")[..8];
            var create = await Cli(state, "create", "--bundle", bundle.Directory, id);
            Assert.NotEqual(0, create.ExitCode);
            Assert.Contains($"linux.namespaces[network].path: network namespace {net.PodNamespacePath} is in use by host process", create.Stderr);
            Assert.Contains("(sleep)", create.Stderr);
            Assert.Equal("", await net.PodLeftoversAsync());
            LeakCheck.AssertNothingLeft(state.Path, id);
        }
        finally
        {
            dweller.Kill(entireProcessTree: true);
            await dweller.WaitForExitAsync();
        }
    }

    private static bool IsIn(int pid, string namespacePath)
    {
        try
        {
            return SandboxRt.Interop.FileIdentity.Of($"/proc/{pid}/ns/net") == SandboxRt.Interop.FileIdentity.Of(namespacePath);
        }
        catch (SandboxRt.Interop.SyscallException)
        {
            return false;
        }
    }

    /// <summary>
    /// docker network connect and disconnect without Docker: an interface added to the pod's namespace
    /// while the container runs (up, with an address) is hot-plugged into the VM and configured there, one
    /// deleted is unplugged, and one added again comes back (its port was freed). Without templates the VM
    /// is a cold one, which cannot take a NIC after its start: the relay's log says so, naming the
    /// interface, and the guest has no half-made interface. First, on any VM: a route added to the namespace
    /// later reaches the guest, and one deleted there goes from the guest too (until 2026-12-07 it stayed).
    /// </summary>
    [Fact]
    public async Task An_interface_added_to_the_namespace_of_a_running_container_is_plugged_and_one_removed_is_unplugged()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var net = await TestNetworkPair.CreateAsync(mtu: 1400);
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s =>
        {
            s.Process!.Args = ["sleep", "600"];
            foreach (var set in new[] { s.Process.Capabilities!.Bounding!, s.Process.Capabilities.Effective!, s.Process.Capabilities.Permitted! })
                set.Add("CAP_NET_RAW"); // ping
            UsePodNetwork(s, net.PodNamespacePath);
        });
        var id = "follow-" + Guid.NewGuid().ToString("N")[..8];
        var create = await Cli(state, "create", "--bundle", bundle.Directory, id);
        Assert.True(create.ExitCode == 0, create.Stderr);
        try
        {
            Assert.Equal(0, (await Cli(state, "start", id)).ExitCode);
            var relayLog = Path.Combine(state.Path, id, "relay.log");
            // a route of its own, then gone: each waited for in the guest (bounded there)
            var route = $"10.99.0.0/16 via {net.PeerAddress} dev eth0";
            await TestNetworkPair.Ip(["-n", net.Pod, "route", "add", .. route.Split(' ')]);
            var added = await Cli(state, "exec", id, "busybox", "timeout", "60", "sh", "-c", $"until busybox ip route | busybox grep -q '^{route}'; do busybox sleep 0.05; done");
            Assert.True(added.ExitCode == 0, $"the guest did not get the route {route}: {added.Stderr}\n" + File.ReadAllText(relayLog));
            await TestNetworkPair.Ip(["-n", net.Pod, "route", "del", .. route.Split(' ')]);
            var removed = await Cli(state, "exec", id, "busybox", "timeout", "60", "sh", "-c", "while busybox ip route | busybox grep -q '^10.99.0.0/16'; do busybox sleep 0.05; done; busybox ip route");
            Assert.True(removed.ExitCode == 0, $"the guest kept the route {route}: {removed.Stderr}\n" + File.ReadAllText(relayLog));
            Assert.Contains($"default via {net.PeerAddress} dev eth0", removed.Stdout); // and nothing else went
            await Condition.WaitAsync(() => File.ReadAllText(relayLog).Contains("network namespace changed: 1 route(s) removed"), "the relay's log to say it removed the route");
            for (int round = 0; round < 2; round++)
            {
                var mac = await net.AddSecondLinkAsync();
                if (TestEnvironment.TemplatesOff)
                {
                    await Condition.WaitAsync(() => File.Exists(relayLog) && File.ReadAllText(relayLog).Contains("are not in the VM"), "the relay's log to report eth1");
                    Assert.Contains("interface(s) eth1, added to network namespace " + net.PodNamespacePath + ", are not in the VM: the VM cannot take a NIC after its start",
                        File.ReadAllText(relayLog));
                    var none = await Cli(state, "exec", id, "sh", "-c", "[ ! -e /sys/class/net/eth1 ] && busybox ip -o link | busybox wc -l");
                    Assert.True(none.ExitCode == 0, "the guest has an eth1: " + none.Stdout + none.Stderr);
                    Assert.Equal("2", none.Stdout.Trim()); // lo and eth0
                    return;
                }
                // the guest's side of the event: eth1 appears with its address (bounded in the guest)
                var plugged = await Cli(state, "exec", id, "sh", "-c",
                    "busybox timeout 60 sh -c 'until busybox ip -o -4 addr show eth1 2>/dev/null | busybox grep -q inet; do busybox sleep 0.05; done' && " +
                    $"cat /sys/class/net/eth1/address && busybox ip -o -4 addr show eth1 && busybox ping -c 1 -W 10 {net.PeerAddress1}");
                Assert.True(plugged.ExitCode == 0, $"round {round}: eth1 did not come, or does not reach the peer: {plugged.Stdout}{plugged.Stderr}\n" + File.ReadAllText(relayLog));
                Assert.Equal(mac, plugged.Stdout.Split('\n')[0]);
                Assert.Contains($"inet {net.PodAddress1}/24", plugged.Stdout);
                Assert.Contains("1 packets received", plugged.Stdout);

                await net.RemoveSecondLinkAsync();
                var unplugged = await Cli(state, "exec", id, "busybox", "timeout", "60", "sh", "-c", "while [ -e /sys/class/net/eth1 ]; do busybox sleep 0.05; done");
                Assert.True(unplugged.ExitCode == 0, $"round {round}: eth1 stayed in the guest: {unplugged.Stderr}\n" + File.ReadAllText(relayLog));
            }
            var log = File.ReadAllText(relayLog);
            Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(log, "network namespace changed: plugged eth1").Count);
            Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(log, "network namespace changed: unplugged eth1").Count);
        }
        finally
        {
            await Cli(state, "delete", "--force", id);
        }
        Assert.Equal("", await net.PodLeftoversAsync());
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    /// <summary>
    /// Docker's flow without Docker: the spec asks for a new network namespace (no path), and a prestart
    /// hook, given the state on stdin, moves an interface into /proc/PID/ns/net and configures it there,
    /// as libnetwork-setkey does. With VM templates (q35 clones take NICs after their start) the VM boots
    /// while the hook runs (the hook waits for it) and gets its NICs once the hook has ended; without
    /// them it boots after the hook. Either way it mirrors what the hook made.
    /// </summary>
    [Fact]
    public async Task A_prestart_hook_configures_the_containers_new_namespace_and_the_vm_mirrors_it()
    {
        TestEnvironment.RequireVmPrerequisites();
        TestEnvironment.RequireCommand("nsenter", "util-linux");
        using var net = await TestNetworkPair.CreateAsync(mtu: 1400);
        await net.ServeFromPeerAsync(8082, "from-the-peer");
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s => s.Process!.Args = ["sleep", "600"]);
        Assert.Contains(bundle.Spec.Linux!.Namespaces!, n => n.Type == "network" && string.IsNullOrEmpty(n.Path));
        var id = "setkey-" + Guid.NewGuid().ToString("N")[..8];
        net.AddSetkeyHook(bundle, TestEnvironment.TemplatesOff ? null : Path.Combine(state.Path, id, "state.json"));
        var create = await Cli(state, "create", "--bundle", bundle.Directory, id);
        Assert.True(create.ExitCode == 0, create.Stderr);
        try
        {
            Assert.Equal(0, (await Cli(state, "start", id)).ExitCode);
            var facts = await Cli(state, "exec", id, "sh", "-c", "cat /sys/class/net/eth0/address; busybox ip -o -4 addr show eth0; busybox ip route");
            Assert.True(facts.ExitCode == 0, facts.Stderr);
            Assert.Equal(net.PodMac, facts.Stdout.Split('\n')[0]);
            Assert.Contains($"inet {net.PodAddress}/24", facts.Stdout);
            Assert.Contains($"default via {net.PeerAddress} dev eth0", facts.Stdout);
            var outbound = await Cli(state, "exec", id, "busybox", "timeout", "10", "busybox", "wget", "-q", "-O", "-", $"http://{net.PeerAddress}:8082/");
            Assert.True(outbound.ExitCode == 0, $"the container could not fetch from the peer: {outbound.Stderr}");
            Assert.Equal("from-the-peer\n", outbound.Stdout);
        }
        finally
        {
            await Cli(state, "delete", "--force", id);
        }
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    /// <summary>
    /// A prestart hook that fails while the VM boots beside it (a template clone): create fails with the
    /// hook's error, and the VM that was booting, its helpers and its record are gone.
    /// </summary>
    [Fact]
    public async Task A_prestart_hook_failing_while_the_vm_boots_beside_it_fails_create_and_leaves_nothing()
    {
        TestEnvironment.RequireVmPrerequisites();
        if (TestEnvironment.TemplatesOff)
            return; // without templates the VM boots after the hooks: ContainerHostTests covers that order
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s => s.Process!.Args = ["true"]);
        var id = "hookfail-" + Guid.NewGuid().ToString("N")[..8];
        bundle.SetPrestartHook("fail.sh", "#!/bin/sh\n" + TestNetworkPair.WaitForVm(Path.Combine(state.Path, id, "state.json")) + "\necho the hook gave up >&2\nexit 5\n");

        var create = await Cli(state, "create", "--bundle", bundle.Directory, id);

        Assert.NotEqual(0, create.ExitCode);
        Assert.Contains("hooks.prestart[0]", create.Stderr);
        Assert.False(Directory.Exists(Path.Combine(state.Path, id)), "the failed create left its state directory");
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    /// <summary>
    /// The relay killed (SIGKILL) while the prestart hook runs and the VM boots beside it: create fails,
    /// and `delete --force` removes the VM the record names, its helpers and the state.
    /// </summary>
    [Fact]
    public async Task A_relay_killed_while_the_vm_boots_beside_the_prestart_hook_leaves_what_delete_removes()
    {
        TestEnvironment.RequireVmPrerequisites();
        if (TestEnvironment.TemplatesOff)
            return; // without templates no VM boots while the hooks run
        using var state = new ScratchDirectory("srt-state");
        using var scratch = new ScratchDirectory("srt-hook");
        using var bundle = new TestBundle(s => s.Process!.Args = ["true"]);
        var id = "hookkill-" + Guid.NewGuid().ToString("N")[..8];
        var running = scratch.Combine("hook-running");
        var release = scratch.Combine("release");
        bundle.SetPrestartHook("hold.sh", "#!/bin/sh\n" + TestNetworkPair.WaitForVm(Path.Combine(state.Path, id, "state.json"))
            + $"\ntouch {running}\ni=0; until [ -e {release} ] || [ $i -ge 6000 ]; do sleep 0.01; i=$((i+1)); done\n");

        var creating = Cli(state, "create", "--bundle", bundle.Directory, id);
        await Condition.WaitAsync(() => File.Exists(running) || creating.IsCompleted, "the prestart hook to run beside the VM");
        Assert.False(creating.IsCompleted, $"create ended before its hook ran: {(creating.IsCompleted ? creating.Result.Stderr : "")}");
        System.Diagnostics.Process.GetProcessById(CliVmCacheEntries.RecordedPid(Path.Combine(state.Path, id), "relay")).Kill(); // any record's fields, not only an entry's
        var create = await creating;
        File.WriteAllText(release, "");

        Assert.NotEqual(0, create.ExitCode);
        var delete = await Cli(state, "delete", "--force", id);
        Assert.True(delete.ExitCode == 0, delete.Stderr);
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    /// <summary>
    /// The VM started beside the prestart hook turns out cold (its template cannot be restored): a cold VM
    /// takes no NICs after its start, so it starts again once the hook has ended, with the NICs the hook
    /// made on its command line; the container still gets them.
    /// </summary>
    [Fact]
    public async Task A_cold_fallback_started_beside_the_prestart_hook_starts_again_with_the_namespaces_nics()
    {
        TestEnvironment.RequireVmPrerequisites();
        TestEnvironment.RequireCommand("nsenter", "util-linux");
        using var templates = new ScratchDirectory("srt-templates");
        using var state = new ScratchDirectory("srt-state");
        string[] options = ["--config-option", "qemu.vm_template=true", "--config-option", $"qemu.template_directory={templates.Path}"];
        using (var first = new TestBundle(s => s.Process!.Args = ["true"]))
        {
            var built = await CliRun.RunAsync([.. options, "run", "--bundle", first.Directory, "tpl-" + Guid.NewGuid().ToString("N")[..8]], root: state.Path);
            Assert.True(built.ExitCode == 0, built.Stderr);
        }
        var key = Assert.Single(Directory.GetDirectories(templates.Path));
        File.WriteAllText(Path.Combine(key, "state"), "not QEMU's device state");

        using var net = await TestNetworkPair.CreateAsync(mtu: 1400);
        using var bundle = new TestBundle(s => s.Process!.Args = ["sleep", "600"]);
        net.AddSetkeyHook(bundle);
        var id = "setkey-cold-" + Guid.NewGuid().ToString("N")[..8];
        var create = await CliRun.RunLeavingRelayAsync([.. options, "--debug", "create", "--bundle", bundle.Directory, id], state.Path);
        Assert.True(create.ExitCode == 0, create.Stderr);
        try
        {
            var log = create.Stderr + File.ReadAllText(Path.Combine(state.Path, id, "relay.log"));
            TestContext.Current.TestOutputHelper?.WriteLine(log);
            Assert.Contains($"restoring template {Path.GetFileName(key)} failed", log);
            Assert.Contains("it starts again once the network namespace is settled", log);
            Assert.Equal(0, (await Cli(state, "start", id)).ExitCode);
            var facts = await Cli(state, "exec", id, "sh", "-c", "cat /sys/class/net/eth0/address; busybox ip -o -4 addr show eth0");
            Assert.True(facts.ExitCode == 0, facts.Stderr);
            Assert.Equal(net.PodMac, facts.Stdout.Split('\n')[0]);
            Assert.Contains($"inet {net.PodAddress}/24", facts.Stdout);
        }
        finally
        {
            await Cli(state, "delete", "--force", id);
        }
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    [Theory]
    [InlineData("/var/run/netns/srt-no-such-namespace", "does not exist")]
    [InlineData("/proc/self/ns/mnt", "is not a network namespace")]
    [InlineData("/etc/hostname", "is not a network namespace")]
    [InlineData("/proc/self/ns/net", "is the host's network namespace")]
    public async Task A_bad_network_namespace_path_is_refused_before_any_vm_starts(string path, string message)
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s => { s.Process!.Args = ["true"]; UsePodNetwork(s, path); });
        var id = "badnet-" + Guid.NewGuid().ToString("N")[..8];
        foreach (var verb in new[] { "create", "run" })
        {
            var result = await CliRun.RunAsync([verb, "--bundle", bundle.Directory, id], root: state.Path);
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains($"linux.namespaces[", result.Stderr);
            Assert.Contains($"'{path}' {message}", result.Stderr.Replace("network namespace '", "'"));
            Assert.Empty(ProcessTable.Find("sandboxrt-" + id));
        }
        LeakCheck.AssertNothingLeft(state.Path, id);
    }
}
