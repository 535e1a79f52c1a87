using System.Text.Json;
using SandboxRt.IntegrationTests.Support;
using SandboxRt.Oci.Spec;

namespace SandboxRt.IntegrationTests.Network;

/// <summary>
/// docker run --network container:X without Docker: X gets a network namespace of its own, configured by
/// a prestart hook as Docker's libnetwork-setkey does and mirrored into its VM; Y's spec names
/// /proc/&lt;X's pid from `state`&gt;/ns/net, as Docker writes it, and Y runs in X's VM. Asserted from
/// inside Y: X's interface and address, X's listener on 127.0.0.1; the VM grows by Y's limit. Then the lifecycle: deleting Y leaves
/// X running with nothing of Y in its shared directory and the VM shrunk back; X's exit stops Y (137).
/// </summary>
[Trait("Tier", "vm")]
public sealed class NetworkJoinCliTests
{
    private static Task<CliRun> Cli(ScratchDirectory state, params string[] args) =>
        args[0] == "create" ? CliRun.RunLeavingRelayAsync(args, state.Path) : CliRun.RunAsync(args, root: state.Path);

    /// <summary>X: its own namespace (no path), which a prestart hook gives the test pair's eth0, as Docker's bridge does.</summary>
    private static TestBundle BundleOfX(TestNetworkPair net, params string[] args)
    {
        var bundle = new TestBundle(s => { s.Root!.Readonly = false; s.Process!.Args = [.. args]; });
        net.AddSetkeyHook(bundle);
        return bundle;
    }

    /// <summary>Y: its network namespace is X's, by the pid `state X` reports (Docker's container:X).</summary>
    private static TestBundle BundleOfY(string networkPath, params string[] args) => new(s =>
    {
        s.Process!.Args = [.. args];
        s.Linux!.Namespaces!.RemoveAll(n => n.Type == "network");
        s.Linux.Namespaces.Add(new LinuxNamespace { Type = "network", Path = networkPath });
    });

    /// <summary>
    /// X created (with <paramref name="options"/> before `create`) and started in its own network namespace, then
    /// the test with a free id for Y; both deleted by force after it, and nothing of either left, in the
    /// state, on the host or in the test pair's namespace.
    /// </summary>
    private static async Task WithRunningXAsync(string[] xArgs, Func<ScratchDirectory, TestNetworkPair, string, string, Task> test, string[]? options = null)
    {
        TestEnvironment.RequireVmPrerequisites();
        TestEnvironment.RequireCommand("nsenter", "util-linux");
        using var net = await TestNetworkPair.CreateAsync(mtu: 1400);
        using var state = new ScratchDirectory("srt-state");
        using var x = BundleOfX(net, xArgs);
        var idX = "netx-" + Guid.NewGuid().ToString("N")[..8];
        var idY = "nety-" + Guid.NewGuid().ToString("N")[..8];
        var create = await CliRun.RunLeavingRelayAsync([.. options ?? [], "create", "--bundle", x.Directory, idX], state.Path);
        Assert.True(create.ExitCode == 0, create.Stderr);
        try
        {
            Assert.Equal(0, (await Cli(state, "start", idX)).ExitCode);
            await test(state, net, idX, idY);
        }
        finally
        {
            await Cli(state, "delete", "--force", idY);
            await Cli(state, "delete", "--force", idX);
        }
        Assert.Equal("", await net.PodLeftoversAsync());
        LeakCheck.AssertNothingLeft(state.Path, idX);
        LeakCheck.AssertNothingLeft(state.Path, idY);
    }

    private static async Task<int> PidOf(ScratchDirectory state, string id)
    {
        var run = await Cli(state, "state", id);
        Assert.True(run.ExitCode == 0, run.Stderr);
        return JsonDocument.Parse(run.Stdout).RootElement.GetProperty("pid").GetInt32();
    }

    private static async Task<string> StatusOf(ScratchDirectory state, string id) =>
        JsonDocument.Parse((await Cli(state, "state", id)).Stdout).RootElement.GetProperty("status").GetString()!;

    private static async Task<long> MemTotalMibAsync(ScratchDirectory state, string id)
    {
        var probe = await Cli(state, "exec", id, "grep", "MemTotal", "/proc/meminfo");
        Assert.True(probe.ExitCode == 0, probe.Stderr);
        return long.Parse(probe.Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
    }

    [Fact]
    public async Task Y_runs_in_Xs_vm_sees_its_interface_and_reaches_its_localhost_listener_and_leaves_cleanly()
    {
        await WithRunningXAsync(["sh", "-c", "mkdir -p /tmp/www && echo from-x > /tmp/www/index.html && exec busybox httpd -f -p 127.0.0.1:8080 -h /tmp/www"], async (state, net, idX, idY) =>
        {
            long before = await MemTotalMibAsync(state, idX);
            using var y = BundleOfY($"/proc/{await PidOf(state, idX)}/ns/net", "sleep", "600");
            y.Spec.Linux!.Resources!.Memory = new LinuxMemory { Limit = 256L << 20 };
            y.Save();
            var create = await Cli(state, "create", "--bundle", y.Directory, idY);
            Assert.True(create.ExitCode == 0, create.Stderr);
            Assert.Equal(0, (await Cli(state, "start", idY)).ExitCode);
            Assert.Equal("running", await StatusOf(state, idY));
            var stateX = Path.Combine(state.Path, idX);
            string[] FilesOfY() => SandboxNamespace.Run(stateX, () => Directory.GetDirectories(Path.Combine(stateX, "mounts"), idY + "@*"));
            Assert.Single(FilesOfY()); // Y's files, in X's shared directory
            // the VM grew by Y's 256 MiB, seen from X and from Y alike
            Assert.InRange(await MemTotalMibAsync(state, idX) - before, 250, 262);
            Assert.InRange(await MemTotalMibAsync(state, idY) - before, 250, 262);
            // Y's VM is X's: no second hypervisor, no second tap in X's namespace
            var record = JsonDocument.Parse(File.ReadAllText(Path.Combine(state.Path, idY, "state.json"))).RootElement;
            Assert.Equal(idX, record.GetProperty("joined_sandbox").GetString());
            Assert.False(record.TryGetProperty("hypervisor", out _));

            var facts = await Cli(state, "exec", idY, "sh", "-c",
                "cat /sys/class/net/eth0/address; busybox ip -o -4 addr show eth0; busybox wget -q -O - http://127.0.0.1:8080/");
            Assert.True(facts.ExitCode == 0, facts.Stdout + facts.Stderr);
            Assert.Equal(net.PodMac, facts.Stdout.Split('\n')[0]);            // X's interface
            Assert.Contains($"inet {net.PodAddress}/24", facts.Stdout);      // with X's address
            Assert.EndsWith("from-x\n", facts.Stdout);                       // and X's listener on 127.0.0.1
            // Y's own file system, not X's
            Assert.Equal(1, (await Cli(state, "exec", idY, "sh", "-c", "test -e /tmp/www/index.html")).ExitCode);

            // kill and delete Y: X keeps running, and nothing of Y is left in X's shared directory
            Assert.Equal(0, (await Cli(state, "kill", idY, "KILL")).ExitCode);
            await Condition.WaitAsync(async () => await StatusOf(state, idY) == "stopped", $"{idY} stopped after SIGKILL");
            var deleted = await Cli(state, "delete", idY);
            Assert.True(deleted.ExitCode == 0, deleted.Stderr);
            Assert.True(FilesOfY().Length == 0, "Y's files are still in X's shared directory");
            Assert.Equal("running", await StatusOf(state, idX));
            Assert.InRange(await MemTotalMibAsync(state, idX) - before, -2, 2); // and gave Y's share back
            var stillX = await Cli(state, "exec", idX, "busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:8080/");
            Assert.True(stillX.ExitCode == 0, stillX.Stderr);
            Assert.Equal("from-x\n", stillX.Stdout);
        });
    }

    [Fact]
    public async Task A_joined_container_deleted_as_its_process_exits_leaves_nothing_of_it_in_Xs_vm()
    {
        await WithRunningXAsync(["sleep", "600"], async (state, _, idX, idY) =>
        {
            using var y = BundleOfY($"/proc/{await PidOf(state, idX)}/ns/net", "true");
            // `delete --force` while Y's relay ends with its process (the bench's pattern): the delete must
            // reach X's VM whether or not Y's relay is still there, so the same id can be created again
            // (the guest refuses an id it still holds: "container ... already exists")
            for (int i = 0; i < 4; i++)
            {
                var create = await Cli(state, "create", "--bundle", y.Directory, idY);
                Assert.True(create.ExitCode == 0, $"round {i}: {create.Stderr}");
                Assert.Equal(0, (await Cli(state, "start", idY)).ExitCode);
                var deleted = await Cli(state, "delete", "--force", idY);
                Assert.True(deleted.ExitCode == 0, deleted.Stderr);
                Assert.DoesNotContain("level=warning", deleted.Stderr);
            }
            Assert.Equal("running", await StatusOf(state, idX));
        });
    }

    [Fact]
    public async Task A_container_id_created_again_in_Xs_vm_runs_on_its_new_root_file_system_while_the_guest_caches_the_old_ones_names()
    {
        // virtio_fs_cache=always: the guest keeps what it looked up in the shared directory for a day, so
        // the names the first Y used are still cached when the second Y, with the same id, is created
        // (Docker's `docker start` of a container:X container creates the same id again)
        await WithRunningXAsync(["sleep", "600"], async (state, _, idX, idY) =>
        {
            var path = $"/proc/{await PidOf(state, idX)}/ns/net";
            foreach (var round in new[] { "first", "second", "third" })
            {
                using var y = BundleOfY(path, "sleep", "600");
                File.WriteAllText(Path.Combine(y.Rootfs, "marker"), round);
                var create = await Cli(state, "create", "--bundle", y.Directory, idY);
                Assert.True(create.ExitCode == 0, $"{round}: {create.Stderr}");
                Assert.Equal(0, (await Cli(state, "start", idY)).ExitCode);
                var marker = await Cli(state, "exec", idY, "cat", "/marker");
                Assert.True(marker.ExitCode == 0, marker.Stderr);
                Assert.Equal(round, marker.Stdout);
                var deleted = await Cli(state, "delete", "--force", idY);
                Assert.True(deleted.ExitCode == 0, deleted.Stderr);
            }
            Assert.Equal("running", await StatusOf(state, idX));
        }, ["--config-option", "virtio_fs_cache=always"]);
    }

    [Fact]
    public async Task When_X_exits_Y_is_stopped_with_137_and_a_stopped_X_cannot_be_joined()
    {
        await WithRunningXAsync(["sleep", "600"], async (state, _, idX, idY) =>
        {
            var idZ = "netz-" + Guid.NewGuid().ToString("N")[..8];
            var path = $"/proc/{await PidOf(state, idX)}/ns/net";
            using var y = BundleOfY(path, "sleep", "600");
            var create = await Cli(state, "create", "--bundle", y.Directory, idY);
            Assert.True(create.ExitCode == 0, create.Stderr);
            Assert.Equal(0, (await Cli(state, "start", idY)).ExitCode);

            Assert.Equal(0, (await Cli(state, "kill", idX, "KILL")).ExitCode);
            await Condition.WaitAsync(async () => await StatusOf(state, idY) == "stopped", $"{idY} stopped after {idX} exited");
            var record = JsonDocument.Parse(File.ReadAllText(Path.Combine(state.Path, idY, "state.json"))).RootElement;
            Assert.Equal(137, record.GetProperty("exit_status").GetInt32());
            var log = File.ReadAllText(Path.Combine(state.Path, idY, "relay.log"));
            Assert.True(log.Contains($"container {idY}: stopped, exit status 137: container {idX}, whose network and VM this container shares, exited"), log);

            // X has stopped: its namespace cannot be joined (its relay, whose pid named it, is gone)
            using var z = BundleOfY(path, "true");
            var refused = await Cli(state, "create", "--bundle", z.Directory, idZ);
            Assert.NotEqual(0, refused.ExitCode);
            Assert.Contains("linux.namespaces[", refused.Stderr);
            Assert.False(Directory.Exists(Path.Combine(state.Path, idZ)));
        });
    }

    /// <summary>
    /// podman pod stop signals X and Y at once. A kill of Y that finds X's relay gone waits for Y's relay,
    /// which stops Y, and says Y is not running, by which time that relay is gone (podman looks for its
    /// pid); before, it failed while Y's relay still ran and podman's stop failed (exit 125). Y's delete
    /// right after kills Y's relay before it removes Y: before, the two took X's one-client channel from
    /// each other and the delete took 36 s.
    /// </summary>
    [Fact]
    public async Task A_kill_of_Y_as_X_dies_reaches_Y_or_says_it_is_not_running_once_its_relay_is_gone_and_Ys_delete_is_prompt()
    {
        await WithRunningXAsync(["sleep", "600"], async (state, _, idX, idY) =>
        {
            using var y = BundleOfY($"/proc/{await PidOf(state, idX)}/ns/net", "sleep", "600");
            var create = await Cli(state, "create", "--bundle", y.Directory, idY);
            Assert.True(create.ExitCode == 0, create.Stderr);
            Assert.Equal(0, (await Cli(state, "start", idY)).ExitCode);
            using var relayY = SandboxRt.Interop.PidFd.TryOpen(await PidOf(state, idY))!;

            var killX = Cli(state, "kill", idX, "KILL");
            var killY = Cli(state, "kill", idY, "TERM");
            Assert.Equal(0, (await killX).ExitCode);
            var y1 = await killY;
            if (y1.ExitCode != 0)
            {
                Assert.Contains($"cannot kill container {idY}: it is not running", y1.Stderr);
                Assert.True(relayY.HasExited, $"kill said {idY} is not running while its relay still ran");
            }
            var started = System.Diagnostics.Stopwatch.StartNew();
            var delete = await Cli(state, "delete", "--force", idY);
            Assert.True(delete.ExitCode == 0, delete.Stderr);
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"delete --force {idY} took {started.Elapsed.TotalSeconds:F1} s");
        });
    }
}
