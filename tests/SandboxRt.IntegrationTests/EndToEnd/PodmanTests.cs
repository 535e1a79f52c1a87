using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.EndToEnd;

/// <summary>podman 4.3 (through conmon) with `--runtime` pointing at SandboxRt.</summary>
[Trait("Tier", "e2e")]
[Collection("e2e")]
public sealed class PodmanTests
{
    // CAP_SYS_RESOURCE is missing on these hosts: podman needs explicit limits (shared/ENVIRONMENT.md).
    private static readonly string[] Limits = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"];

    /// <summary>podman's global flags for a store of the test's own, with SandboxRt as its runtime; skips without a VM or podman.</summary>
    private static string[] Podman(ScratchDirectory dir)
    {
        TestEnvironment.RequireVmPrerequisites();
        TestEnvironment.RequireCommand("podman", "podman");
        CliRun.RequireBinary();
        return ["--root", dir.Combine("root"), "--runroot", dir.Combine("run"), "--cgroup-manager", "cgroupfs", "--events-backend", "file", "--runtime", CliRun.ClientBinary];
    }

    private static async Task LoadImageAsync(string[] podman) =>
        (await Command.RunAsync("podman", [.. podman, "load", "-i", await LocalImage.ArchiveAsync()])).Ok();

    /// <summary>Removes every pod and container of the test's store, then unmounts what podman left mounted in it.</summary>
    private static async Task CleanUpAsync(ScratchDirectory dir, string[] podman)
    {
        await Command.RunAsync("podman", [.. podman, "pod", "rm", "-af"]);
        await Command.RunAsync("podman", [.. podman, "rm", "-af"]);
        foreach (var mount in File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4]).Where(m => m.StartsWith(dir.Path)).OrderByDescending(m => m.Length))
            SandboxRt.Interop.FileSystem.TryUnmount(mount, detach: true);
    }

    [Fact]
    public async Task Podman_run_returns_output_and_exit_code()
    {
        using var dir = new ScratchDirectory("srt-podman");
        var podman = Podman(dir);
        try
        {
            await LoadImageAsync(podman);
            var run = await Command.RunAsync("podman", [.. podman, "run", "--rm", "--network", "none", .. Limits,
                LocalImage.Reference, "sh", "-c", "echo hi from podman; uname -r; exit 5"]);
            Assert.Equal(5, run.ExitCode);
            var lines = run.Stdout.Split('\n');
            Assert.Equal("hi from podman", lines[0]);
            Assert.NotEqual(TestEnvironment.HostKernelRelease, lines[1]);
            // a program that cannot run: podman's status and reason, as under runc (the create fails with
            // runc's words; before, the start failed and podman said only "sandboxrt start ID failed", 126)
            foreach (var (program, status, reason) in new[] { ("no-such-program", 127, "executable file not found in $PATH"), ("/etc/passwd", 126, "permission denied") })
            {
                var cannot = await Command.RunAsync("podman", [.. podman, "run", "--rm", "--network", "none", .. Limits, LocalImage.Reference, program]);
                Assert.True(cannot.ExitCode == status, $"podman run {program}: exit {cannot.ExitCode}, not {status}: {cannot.Stderr}");
                Assert.Contains(reason, cannot.Stderr);
            }
        }
        finally
        {
            await CleanUpAsync(dir, podman);
        }
    }

    /// <summary>
    /// podman run --network host writes a spec with no network namespace (runc then runs the container in
    /// the host's). A VM cannot share the host's network: the run fails and says so, where before the
    /// container ran with a loopback of its own and nothing said it had not got the host's network.
    /// An overlay volume (-v SOURCE:DEST:O) names host directories as its layers: refused naming the
    /// mount, where before the guest failed to find them and the error was cut short.
    /// </summary>
    [Fact]
    public async Task Network_host_and_an_overlay_volume_are_refused_with_clear_errors()
    {
        using var dir = new ScratchDirectory("srt-podman");
        var podman = Podman(dir);
        try
        {
            await LoadImageAsync(podman);
            var run = await Command.RunAsync("podman", [.. podman, "run", "--rm", "--network", "host", .. Limits, LocalImage.Reference, "true"]);
            Assert.NotEqual(0, run.ExitCode);
            Assert.Contains("host networking is not supported", run.Stderr);
            Directory.CreateDirectory(dir.Combine("lower"));
            var overlay = await Command.RunAsync("podman", [.. podman, "run", "--rm", "--network", "none", "-v", dir.Combine("lower") + ":/o:O", .. Limits, LocalImage.Reference, "true"]);
            Assert.NotEqual(0, overlay.ExitCode);
            Assert.Contains("an overlay of host directories", overlay.Stderr);
        }
        finally
        {
            await CleanUpAsync(dir, podman);
        }
    }

    /// <summary>
    /// podman pod stop -t 0 kills a pod's containers all at once: the infra container, whose VM the member
    /// runs in, and the member. Before, the member's kill could fail while its relay still ran (the stop
    /// failed, exit 125), and its delete waited out the agent call's deadline (a minute) for a VM that
    /// X's delete was taking down. Each round stops and removes a pod with a running member.
    /// </summary>
    [Fact]
    public async Task Pod_stop_of_a_running_pod_succeeds_without_waiting_out_a_deadline()
    {
        using var dir = new ScratchDirectory("srt-podman");
        var podman = Podman(dir);
        try
        {
            await LoadImageAsync(podman);
            for (int round = 0; round < 3; round++)
            {
                var pod = $"stop-{round}";
                (await Command.RunAsync("podman", [.. podman, "pod", "create", "--name", pod, "--network", "none", "--infra-image", LocalImage.Reference, "--infra-command", "sleep 100000"])).Ok();
                (await Command.RunAsync("podman", [.. podman, "run", "-d", "--pod", pod, .. Limits, LocalImage.Reference, "sleep", "600"])).Ok();
                var started = System.Diagnostics.Stopwatch.StartNew();
                var stop = await Command.RunAsync("podman", [.. podman, "pod", "stop", "-t", "0", pod]);
                Assert.True(stop.ExitCode == 0, $"round {round}: pod stop exit {stop.ExitCode}: {stop.Stderr}");
                Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), $"round {round}: pod stop took {started.Elapsed.TotalSeconds:F1} s");
                (await Command.RunAsync("podman", [.. podman, "pod", "rm", "-f", pod])).Ok();
            }
        }
        finally
        {
            await CleanUpAsync(dir, podman);
        }
    }

    /// <summary>
    /// podman's --tmpfs and --read-only's tmpfs on /run, /tmp and /var/tmp carry tmpcopyup: each starts with
    /// what the image had there, and (runc 1.1.8+) has the mode of the image's directory. Before, /etc under
    /// --tmpfs was empty and a read-only container's /run was world-writable (tmpfs's 1777).
    /// </summary>
    [Fact]
    public async Task Tmpfs_volumes_start_with_the_images_content_and_mode_as_under_runc()
    {
        using var dir = new ScratchDirectory("srt-podman");
        var podman = Podman(dir);
        try
        {
            await LoadImageAsync(podman);
            var run = await Command.RunAsync("podman", [.. podman, "run", "--rm", "--network", "none", "--read-only", "--tmpfs", "/etc", .. Limits,
                LocalImage.Reference, "sh", "-c", "head -1 /etc/passwd && stat -c '%n %a' /etc /run /tmp && touch /etc/x /run/x /tmp/x && echo writable"]);
            Assert.True(run.ExitCode == 0, run.Stderr);
            Assert.Equal(["root:x:0:0:root:/root:/bin/sh", "/etc 755", "/run 755", "/tmp 1777", "writable"], run.Stdout.TrimEnd('\n').Split('\n'));
        }
        finally
        {
            await CleanUpAsync(dir, podman);
        }
    }

    /// <summary>
    /// podman cp of a running container enters the mount namespace of state's pid, the relay, and copies
    /// at its "/" (libpod's joinMountAndExec). That was the host's: a copy in wrote the host's file, a copy
    /// out read the host's. The relay now shows whoever joins it an empty read-only root
    /// (RelayMountView): both copies fail and the host's files are untouched.
    /// </summary>
    [Fact]
    public async Task Podman_cp_of_a_running_container_neither_writes_nor_reads_the_hosts_files()
    {
        using var dir = new ScratchDirectory("srt-podman");
        var podman = Podman(dir);
        var name = "cp-" + Guid.NewGuid().ToString("N")[..8];
        // paths the container names that exist, or would be made, on the host's own root
        var hostTarget = $"/tmp/srt-podman-cp-{name}";
        var hostSecret = $"/tmp/srt-podman-cp-{name}-secret";
        var source = dir.Combine("in.txt");
        File.WriteAllText(source, "from the podman user");
        File.WriteAllText(hostSecret, "the host's own");
        try
        {
            await LoadImageAsync(podman);
            (await Command.RunAsync("podman", [.. podman, "run", "-d", "--name", name, "--network", "none", .. Limits, LocalImage.Reference, "sleep", "600"])).Ok();
            var into = await Command.RunAsync("podman", [.. podman, "cp", source, $"{name}:{hostTarget}"]);
            Assert.False(File.Exists(hostTarget), $"podman cp into the running container wrote the host's {hostTarget} (exit {into.ExitCode})");
            Assert.NotEqual(0, into.ExitCode);
            var outOf = await Command.RunAsync("podman", [.. podman, "cp", $"{name}:{hostSecret}", dir.Combine("out")]);
            Assert.True(outOf.ExitCode != 0 && !File.Exists(dir.Combine("out")), $"podman cp out of the running container read the host's {hostSecret}: exit {outOf.ExitCode}");
            Assert.Equal("the host's own", File.ReadAllText(hostSecret));
        }
        finally
        {
            File.Delete(hostTarget);
            File.Delete(hostSecret);
            await CleanUpAsync(dir, podman);
        }
    }

    /// <summary>
    /// podman's default network (CNI: bridge, portmap, firewall, tuning), with podman run in a network
    /// namespace of the test's own so that its bridge, iptables rules and port mapping live and die there.
    /// podman makes the container's namespace and names it by path in the spec, with its default sysctl
    /// net.ipv4.ping_group_range (refused as "not namespaced" until the guest spec named the VM's network
    /// namespace); the VM mirrors the namespace, and a published port reaches busybox httpd in the VM
    /// through the portmap DNAT, as under runc.
    /// </summary>
    [Fact]
    public async Task The_default_network_and_a_published_port_reach_a_server_in_the_vm()
    {
        using var dir = new ScratchDirectory("srt-podman");
        var podman = Podman(dir);
        var (ns, inNs) = await DefaultNetworkAsync(dir, podman);
        try
        {
            await LoadImageAsync(podman);
            var id = (await Command.RunAsync("nsenter", [.. inNs, "run", "-d", .. Limits, "-p", "18080:8080", LocalImage.Reference, "sh", "-c", ServeBootId])).Ok().Stdout.Trim();
            var inside = (await Command.RunAsync("nsenter", [.. inNs, "exec", id, "sh", "-c",
                "busybox cat /proc/sys/kernel/random/boot_id /proc/sys/net/ipv4/ping_group_range; busybox ip -4 -o addr show eth0"])).Ok().Stdout.Split('\n');
            Assert.NotEqual(File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim(), inside[0]); // a VM
            Assert.Equal("0\t0", inside[1]);                                                         // podman's sysctl, applied
            Assert.Contains("inet 10.88.", inside[2]);                                               // the bridge's address
            Assert.Equal(inside[0] + "\n", await FetchAsync(ns, 18080));
        }
        finally
        {
            await RemoveDefaultNetworkAsync(dir, podman, ns, inNs);
        }
    }

    /// <summary>
    /// A podman pod on the default network, with the port published on the pod: the infra container's
    /// VM mirrors the pod's namespace; a pod container names the infra container's namespaces by its pid
    /// (its relay's, which runs in the host's namespace: refused until NetworkJoin matched a live relay by
    /// pid), so it runs in that VM, and the pod's port reaches its server there.
    /// </summary>
    [Fact]
    public async Task A_pod_on_the_default_network_serves_its_published_port_from_a_containers_server_in_the_infra_vm()
    {
        using var dir = new ScratchDirectory("srt-podman");
        var podman = Podman(dir);
        var (ns, inNs) = await DefaultNetworkAsync(dir, podman);
        var pod = "srtpod" + Guid.NewGuid().ToString("N")[..6];
        try
        {
            await LoadImageAsync(podman);
            (await Command.RunAsync("nsenter", [.. inNs, "pod", "create", "--name", pod, "-p", "18081:8080", "--infra-image", LocalImage.Reference, "--infra-command", "sleep 100000"])).Ok();
            (await Command.RunAsync("nsenter", [.. inNs, "pod", "start", pod])).Ok();
            var infra = (await Command.RunAsync("nsenter", [.. inNs, "pod", "inspect", "-f", "{{.InfraContainerID}}", pod])).Ok().Stdout.Trim();
            var vm = (await Command.RunAsync("nsenter", [.. inNs, "exec", infra, "cat", "/proc/sys/kernel/random/boot_id"])).Ok().Stdout;
            (await Command.RunAsync("nsenter", [.. inNs, "run", "-d", "--pod", pod, .. Limits, LocalImage.Reference, "sh", "-c", ServeBootId])).Ok();
            Assert.Equal(vm, await FetchAsync(ns, 18081)); // served from the infra container's VM
        }
        finally
        {
            await Command.RunAsync("nsenter", [.. inNs, "pod", "rm", "-f", pod]);
            await RemoveDefaultNetworkAsync(dir, podman, ns, inNs);
        }
    }

    private const string ServeBootId = "mkdir -p /www && cat /proc/sys/kernel/random/boot_id > /www/index.html && exec busybox httpd -f -p 8080 -h /www";

    /// <summary>
    /// A network namespace of the test's and podman's default network configuration (its leases under
    /// <paramref name="dir"/>): the arguments of `nsenter` that run podman there, where its bridge, iptables
    /// rules and port mappings then live and die.
    /// </summary>
    private static async Task<(string Namespace, string[] InNamespace)> DefaultNetworkAsync(ScratchDirectory dir, string[] podman)
    {
        var ns = "srt-pdnet-" + Guid.NewGuid().ToString("N")[..6];
        (await Command.RunAsync("/usr/sbin/ip", ["netns", "add", ns])).Ok();
        (await Command.RunAsync("/usr/sbin/ip", ["-n", ns, "link", "set", "lo", "up"])).Ok();
        var cni = dir.Combine("cni");
        Directory.CreateDirectory(cni);
        File.WriteAllText(Path.Combine(cni, "87-podman-bridge.conflist"), $$"""
            { "cniVersion": "0.4.0", "name": "podman", "plugins": [
                { "type": "bridge", "bridge": "cni-podman0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
                  "ipam": { "type": "host-local", "dataDir": "{{dir.Combine("ipam")}}", "routes": [{ "dst": "0.0.0.0/0" }],
                            "ranges": [[{ "subnet": "10.88.0.0/16", "gateway": "10.88.0.1" }]] } },
                { "type": "portmap", "capabilities": { "portMappings": true } },
                { "type": "firewall" }, { "type": "tuning" } ] }
            """);
        return (ns, ["--net=/run/netns/" + ns, "podman", .. podman, "--cni-config-dir", cni]);
    }

    /// <summary>Removes every container from inside the namespace (so that CNI's teardown runs there), then the namespace.</summary>
    private static async Task RemoveDefaultNetworkAsync(ScratchDirectory dir, string[] podman, string ns, string[] inNs)
    {
        await Command.RunAsync("nsenter", [.. inNs, "rm", "-af"]);
        await CleanUpAsync(dir, podman);
        (await Command.RunAsync("/usr/sbin/ip", ["netns", "delete", ns])).Ok();
    }

    /// <summary>http://127.0.0.1:PORT/ from the namespace, waiting (bounded) for the server in the VM to answer.</summary>
    private static async Task<string> FetchAsync(string ns, int port)
    {
        Command? fetched = null;
        await Condition.WaitAsync(async () =>
        {
            fetched = await Command.RunAsync("nsenter", ["--net=/run/netns/" + ns, TestInitramfs.Busybox, "timeout", "5", TestInitramfs.Busybox, "wget", "-q", "-O", "-", $"http://127.0.0.1:{port}/"]);
            return fetched.ExitCode == 0;
        }, $"busybox httpd in the VM answering on the published port {port}", TimeSpan.FromSeconds(60));
        return fetched!.Stdout;
    }

    /// <summary>
    /// A podman pod: its containers name the infra container's network, ipc and uts namespaces by its pid
    /// (its relay's). They run in the infra container's VM (the network: NetworkJoin) and share its ipc
    /// and uts namespaces there (NamespaceShare): the same VM (boot_id), the pod's hostname, the same
    /// namespaces as the infra container.
    /// </summary>
    [Fact]
    public async Task A_pods_container_runs_in_the_infra_containers_vm_and_shares_its_ipc_and_uts_namespaces()
    {
        using var dir = new ScratchDirectory("srt-podman");
        var podman = Podman(dir);
        var pod = "srtpod" + Guid.NewGuid().ToString("N")[..6];
        const string Probe = "hostname; busybox cat /proc/sys/kernel/random/boot_id; busybox ls -l /proc/self/ns/ipc /proc/self/ns/uts /proc/self/ns/pid | busybox sed 's/.*-> //'";
        try
        {
            await LoadImageAsync(podman);
            // the infra container from our image (podman's own pause image needs catatonit)
            (await Command.RunAsync("podman", [.. podman, "pod", "create", "--name", pod, "--network", "none", "--infra-image", LocalImage.Reference, "--infra-command", "sleep 100000"])).Ok();
            (await Command.RunAsync("podman", [.. podman, "pod", "start", pod])).Ok();
            var infra = (await Command.RunAsync("podman", [.. podman, "pod", "inspect", "-f", "{{.InfraContainerID}}", pod])).Ok().Stdout.Trim();
            var inInfra = (await Command.RunAsync("podman", [.. podman, "exec", infra, "sh", "-c", Probe])).Ok().Stdout.Split('\n');
            var run = await Command.RunAsync("podman", [.. podman, "run", "--rm", "--pod", pod, .. Limits, LocalImage.Reference, "sh", "-c", Probe]);
            TestContext.Current.TestOutputHelper?.WriteLine($"infra:\n{string.Join('\n', inInfra)}\npod container:\n{run.Stdout}{run.Stderr}");
            Assert.Equal(0, run.ExitCode);
            var inPod = run.Stdout.Split('\n');
            Assert.Equal(pod, inPod[0]);
            Assert.Equal(inInfra[1], inPod[1]); // boot_id: the infra container's VM
            Assert.Equal(inInfra[2], inPod[2]); // ipc (ls sorts: ipc, pid, uts)
            Assert.NotEqual(inInfra[3], inPod[3]); // pid: podman shares none by default
            Assert.Equal(inInfra[4], inPod[4]); // uts
        }
        finally
        {
            await CleanUpAsync(dir, podman);
        }
    }
}
