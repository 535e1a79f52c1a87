using SandboxRt.IntegrationTests.Support;
using SandboxRt.Oci.Spec;

namespace SandboxRt.IntegrationTests.EndToEnd;

/// <summary>
/// containerd 1.6 driving containerd-shim-sandboxrt-v2 (ctr run --runtime io.containerd.sandboxrt.v2):
/// containerd starts the shim, calls its Task API over ttrpc and takes its events. The hypervisor config
/// reaches the shim as runtime options (--runtime-config-path, a runtimeoptions.v1.Options on stdin).
/// </summary>
[Trait("Tier", "e2e")]
[Collection("e2e")]
public sealed class ShimV2Tests(ContainerdDaemon containerd) : IClassFixture<ContainerdDaemon>
{
    private const string Runtime = "io.containerd.sandboxrt.v2";
    private static readonly string ShimBinary = Path.Combine(Path.GetDirectoryName(CliRun.Binary)!, "containerd-shim-sandboxrt-v2");

    private static string Id() => "shim-" + Guid.NewGuid().ToString("N")[..8];

    private void Require()
    {
        TestEnvironment.RequireVmPrerequisites();
        containerd.RequireRunning();
        TestEnvironment.RequireFile(ShimBinary, "the containerd shim (make build)");
    }

    private string[] Run(params string[] rest) => ["run", "--runtime", Runtime, "--runtime-config-path", WriteConfig(), .. rest];

    [Fact]
    public async Task Ctr_run_boots_the_guest_kernel_relays_stdin_and_returns_exit_codes()
    {
        Require();
        var id = Id();
        var run = await containerd.CtrWithInput("line one\nline two\n", Run("--rm", LocalImage.Reference, id, "sh", "-c", "uname -r; cat; exit 3"));
        Assert.Equal(3, run.ExitCode);
        var lines = run.Stdout.Split('\n');
        Assert.NotEqual(TestEnvironment.HostKernelRelease, lines[0]);
        Assert.Equal(["line one", "line two"], lines[1..3]);
        await AssertShimGoneAsync(id);
    }

    [Fact]
    public async Task Exec_ps_pause_resume_metrics_and_kill_on_a_running_task()
    {
        Require();
        var id = Id();
        (await containerd.Ctr(Run("-d", LocalImage.Reference, id, "sh", "-c", "trap 'exit 7' TERM; while true; do sleep 0.2; done"))).Ok();
        try
        {
            var exec = await containerd.Ctr("task", "exec", "--exec-id", "e1", id, "sh", "-c", "echo in-exec; cat /proc/sys/kernel/random/boot_id; exit 5");
            Assert.Equal(5, exec.ExitCode);
            var execLines = exec.Stdout.Split('\n');
            Assert.Equal("in-exec", execLines[0]);
            Assert.NotEqual(File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim(), execLines[1]);
            // runc exec's limits: ctr copies the container's (containerd's default spec names 1024 open
            // files), and the processes limit, which nobody names, is the shim's caller's (the guest agent's before)
            var limits = (await containerd.Ctr("task", "exec", "--exec-id", "e2", id, "sh", "-c", "echo $(ulimit -Sn):$(ulimit -Hn) $(ulimit -Su):$(ulimit -Hu)")).Ok();
            Assert.Equal($"1024:1024 {ProcessLimits.Ours("Max processes", asShell: true)}\n", limits.Stdout);

            var ps = (await containerd.Ctr("task", "ps", id)).Ok();
            Assert.True(ps.Stdout.Split('\n').Length >= 3, $"ps lists the guest processes (sh and sleep): {ps.Stdout}");
            (await containerd.Ctr("task", "pause", id)).Ok();
            Assert.Contains("PAUSED", (await containerd.Ctr("task", "ls")).Stdout);
            (await containerd.Ctr("task", "resume", id)).Ok();
            Assert.Contains("RUNNING", (await containerd.Ctr("task", "ls")).Stdout);
            var metrics = (await containerd.Ctr("task", "metrics", id)).Ok();
            Assert.Matches(@"memory\.usage\s+[1-9]\d*", metrics.Stdout);
            Assert.Matches(@"pids\.current\s+[1-9]", metrics.Stdout);

            Assert.Contains("running", (await containerd.Ctr("task", "delete", id)).Stderr);
            (await containerd.Ctr("task", "kill", id)).Ok();
            var ls = await WaitForStatusAsync(id, "STOPPED");
            Assert.Contains("STOPPED", ls);
            var delete = (await containerd.Ctr("task", "delete", id)).Ok();
            Assert.Contains("exit code 7", delete.Stderr);
            (await containerd.Ctr("container", "delete", id)).Ok();
            await AssertShimGoneAsync(id);
        }
        finally
        {
            await ForceRemoveAsync(id);
        }
    }

    [Fact]
    public async Task Killing_qemu_ends_the_task_with_137_and_delete_cleans_up()
    {
        Require();
        var id = Id();
        (await containerd.Ctr(Run("-d", LocalImage.Reference, id, "sleep", "1000"))).Ok();
        try
        {
            using var events = await EventWatch.StartAsync(containerd.Socket);
            var qemu = Assert.Single(ProcessTable.Find("sandboxrt-" + id));
            SandboxRt.Interop.ChildProcesses.Signal(qemu, 9);
            var ls = await WaitForStatusAsync(id, "STOPPED");
            Assert.Contains("STOPPED", ls);
            Assert.Contains("\"exit_status\":137", await events.WaitForAsync("/tasks/exit", id));
            var delete = (await containerd.Ctr("task", "delete", id)).Ok();
            Assert.Contains("exit code 137", delete.Stderr);
            (await containerd.Ctr("container", "delete", id)).Ok();
            await AssertShimGoneAsync(id);
        }
        finally
        {
            await ForceRemoveAsync(id);
        }
    }

    [Fact]
    public async Task An_oom_kill_in_the_guest_is_published_as_tasks_oom()
    {
        Require();
        var id = Id();
        using var events = await EventWatch.StartAsync(containerd.Socket);
        var run = await containerd.Ctr(Run("--rm", "--memory-limit", "67108864",
            "--mount", $"type=bind,src={Path.GetDirectoryName(TestBinaries.Memhog)},dst=/t,options=rbind:ro", LocalImage.Reference, id, "/t/memhog", "300"));
        Assert.Equal(137, run.ExitCode);
        Assert.DoesNotContain("allocated all", run.Stdout);
        await events.WaitForAsync("/tasks/oom", id);
        await AssertShimGoneAsync(id);
    }

    [Fact]
    public async Task Killing_the_shim_lets_containerd_clean_up_through_shim_delete()
    {
        Require();
        var id = Id();
        (await containerd.Ctr(Run("-d", LocalImage.Reference, id, "sleep", "1000"))).Ok();
        try
        {
            var shim = Assert.Single(ProcessTable.Find($"containerd-shim-sandboxrt-v2 -namespace default -address {containerd.Socket} -publish-binary"),
                pid => File.ReadAllText($"/proc/{pid}/cmdline").Contains(id));
            Assert.NotEmpty(ProcessTable.Find("sandboxrt-" + id));
            SandboxRt.Interop.ChildProcesses.Signal(shim, 9);
            // containerd notices the closed connection and runs `containerd-shim-sandboxrt-v2 delete`,
            // which stops the VM the dead shim left behind
            if (await LeakChecker.ForShim(containerd.Socket, id, before: HostSnapshot.Empty).WaitCleanAsync() is { Length: > 0 } left)
                Assert.Fail($"left behind:\n{left}\ncontainerd about {id}:\n{string.Join('\n', containerd.Log.Split('\n').Where(l => l.Contains(id)).TakeLast(30))}");
            await containerd.Ctr("task", "delete", id);
            (await containerd.Ctr("container", "delete", id)).Ok();
        }
        finally
        {
            await ForceRemoveAsync(id);
        }
    }

    /// <summary>
    /// Through the shim as through the CLI (DockerTests), the pod's VM runs in the host cgroup its spec names
    /// (linux.cgroupsPath; ctr names /NAMESPACE/ID), in every hierarchy, QEMU and virtiofsd included, so that
    /// host limits bound the whole VM; the cgroup the shim made goes with the pod.
    /// </summary>
    [Fact]
    public async Task The_pods_qemu_and_virtiofsd_run_in_the_specs_cgroup_which_goes_with_the_pod()
    {
        Require();
        var id = Id();
        (await containerd.Ctr(Run("-d", LocalImage.Reference, id, "sleep", "1000"))).Ok();
        string cgroupsPath;
        try
        {
            var config = Path.Combine(containerd.State, "io.containerd.runtime.v2.task", "default", id, "config.json");
            cgroupsPath = System.Text.Json.JsonDocument.Parse(File.ReadAllText(config)).RootElement.GetProperty("linux").GetProperty("cgroupsPath").GetString()!;
            Assert.Equal($"/default/{id}", cgroupsPath);
            var vmProcesses = ProcessTable.Find(id).Where(pid => File.ReadAllText($"/proc/{pid}/comm").Trim() is "qemu-system-x86" or "virtiofsd").ToList();
            Assert.Contains(vmProcesses, pid => File.ReadAllText($"/proc/{pid}/comm").Trim() == "qemu-system-x86");
            Assert.Contains(vmProcesses, pid => File.ReadAllText($"/proc/{pid}/comm").Trim() == "virtiofsd");
            foreach (var pid in vmProcesses)
                Assert.All(File.ReadAllLines($"/proc/{pid}/cgroup"), line => Assert.True(line.EndsWith(":" + cgroupsPath), $"pid {pid} ({File.ReadAllText($"/proc/{pid}/comm").Trim()}): {line}"));
            await KillAndDeleteAsync(id);
        }
        finally
        {
            await ForceRemoveAsync(id);
        }
        var left = Directory.EnumerateDirectories("/sys/fs/cgroup").Append("/sys/fs/cgroup").Select(d => d + cgroupsPath).Where(Directory.Exists).ToList();
        Assert.True(left.Count == 0, "cgroups left behind: " + string.Join(", ", left));
    }

    /// <summary>
    /// linux.resources.cpu.cpus through the shim (ctr run --config, as the CRI plugin's cpuset): the pod's VM,
    /// every thread of QEMU and virtiofsd, runs on those host CPUs alone, through the cgroup the spec names,
    /// and the container sees as many CPUs. Before, the VM ran on every host CPU.
    /// </summary>
    [Fact]
    public async Task A_containers_cpuset_pins_the_pods_vm_to_those_host_cpus()
    {
        Require();
        var id = Id();
        var last = Environment.ProcessorCount - 1;
        using var bundle = new TestBundle(s =>
        {
            s.Process!.Args = ["sleep", "100000"];
            s.Linux!.CgroupsPath = "/default/" + id;
            s.Linux.Resources = new LinuxResources { Cpu = new LinuxCpu { Cpus = $"{last}" } };
        });
        bundle.Spec.Root!.Path = bundle.Rootfs;
        bundle.Save();
        (await containerd.Ctr("run", "-d", "--runtime", Runtime, "--runtime-config-path", WriteConfig(), "--config", Path.Combine(bundle.Directory, "config.json"), id)).Ok();
        try
        {
            var vm = ProcessTable.Find(id).Where(pid => File.ReadAllText($"/proc/{pid}/comm").Trim() is "qemu-system-x86" or "virtiofsd").ToList();
            Assert.Contains(vm, pid => File.ReadAllText($"/proc/{pid}/comm").Trim() == "qemu-system-x86");
            Assert.Contains(vm, pid => File.ReadAllText($"/proc/{pid}/comm").Trim() == "virtiofsd");
            var affinities = ProcessTable.ThreadAffinities(vm);
            TestContext.Current.TestOutputHelper?.WriteLine("threads' CPUs: " + string.Join(", ", affinities));
            Assert.All(affinities, a => Assert.Equal($"{last}", a));
            Assert.Equal("1", (await containerd.Ctr("task", "exec", "--exec-id", "n", id, "sh", "-c", "nproc")).Ok().Stdout.Trim());
            await KillAndDeleteAsync(id);
        }
        finally
        {
            await ForceRemoveAsync(id);
        }
    }

    /// <summary>
    /// The spec's host hooks run through the shim as containerd's runc shim runs them (ctr run --config):
    /// prestart and createRuntime before the container exists in the VM, poststart after it started,
    /// poststop after its delete, each with the state on stdin (the task's pid while it runs).
    /// </summary>
    [Fact]
    public async Task Host_hooks_run_in_order_with_the_state_on_stdin()
    {
        Require();
        var id = Id();
        using var hooks = new ScratchDirectory("srt-hooks");
        Hook Record(string name) => new() { Path = "/bin/sh", Args = ["sh", "-c", $"cat > {hooks.Combine(name)}.json; date +%s%N > {hooks.Combine(name)}.at"] };
        using var bundle = new TestBundle(s =>
        {
            s.Process!.Args = ["sleep", "100000"];
            s.Hooks = new Hooks { Prestart = [Record("prestart")], CreateRuntime = [Record("createRuntime")], Poststart = [Record("poststart")], Poststop = [Record("poststop")] };
        });
        bundle.Spec.Root!.Path = bundle.Rootfs;
        bundle.Save();
        (await containerd.Ctr("run", "-d", "--runtime", Runtime, "--runtime-config-path", WriteConfig(), "--config", Path.Combine(bundle.Directory, "config.json"), id)).Ok();
        try
        {
            var qemu = Assert.Single(ProcessTable.Find("sandboxrt-" + id));
            System.Text.Json.JsonElement State(string name) => System.Text.Json.JsonDocument.Parse(File.ReadAllText(hooks.Combine(name + ".json"))).RootElement;
            foreach (var (name, status) in new[] { ("prestart", "creating"), ("createRuntime", "creating"), ("poststart", "running") })
            {
                Assert.Equal(id, State(name).GetProperty("id").GetString());
                Assert.Equal(status, State(name).GetProperty("status").GetString());
                Assert.Equal(qemu, State(name).GetProperty("pid").GetInt32());
            }
            Assert.False(File.Exists(hooks.Combine("poststop.json")), "poststop ran while the container runs");
            long At(string name) => long.Parse(File.ReadAllText(hooks.Combine(name + ".at")));
            Assert.True(At("prestart") <= At("createRuntime") && At("createRuntime") <= At("poststart"), "the hooks ran out of order");
            (await containerd.Ctr("task", "kill", "-s", "KILL", id)).Ok();
            await WaitForStatusAsync(id, "STOPPED");
            (await containerd.Ctr("task", "delete", id)).Ok();
            Assert.Equal("stopped", State("poststop").GetProperty("status").GetString());
            (await containerd.Ctr("container", "delete", id)).Ok();
            await AssertShimGoneAsync(id);
        }
        finally
        {
            await ForceRemoveAsync(id);
        }
    }

    /// <summary>A createRuntime hook that fails fails `ctr run`, naming the hook and what it said; nothing is left.</summary>
    [Fact]
    public async Task A_failing_create_runtime_hook_fails_the_run_naming_it_and_leaves_nothing()
    {
        Require();
        var id = Id();
        using var bundle = new TestBundle(s =>
        {
            s.Process!.Args = ["true"];
            s.Hooks = new Hooks { CreateRuntime = [new Hook { Path = "/bin/sh", Args = ["sh", "-c", "echo hook-says-no >&2; exit 3"] }] };
        });
        bundle.Spec.Root!.Path = bundle.Rootfs;
        bundle.Save();
        try
        {
            var run = await containerd.Ctr("run", "--rm", "--runtime", Runtime, "--runtime-config-path", WriteConfig(), "--config", Path.Combine(bundle.Directory, "config.json"), id);
            Assert.NotEqual(0, run.ExitCode);
            Assert.Contains("hooks.createRuntime[0]", run.Stderr);
            Assert.Contains("hook-says-no", run.Stderr);
        }
        finally
        {
            await ForceRemoveAsync(id);
        }
        await AssertShimGoneAsync(id);
    }

    [Fact]
    public async Task Containers_labelled_as_one_cri_pod_share_the_pod_vm()
    {
        Require();
        var pod = Id();
        var app = pod + "-app";
        (await containerd.Ctr(Run("-d", "--label", "io.kubernetes.cri.container-type=sandbox", LocalImage.Reference, pod, "sleep", "1000"))).Ok();
        try
        {
            // ctr puts labels into the spec's annotations too: the CRI plugin's marks, by which the app container's shim `start` finds the pod's
            var appRun = await containerd.Ctr(Run("--rm", "--label", "io.kubernetes.cri.container-type=container", "--label", "io.kubernetes.cri.sandbox-id=" + pod,
                LocalImage.Reference, app, "cat", "/proc/sys/kernel/random/boot_id"));
            Assert.Equal(0, appRun.ExitCode);
            var podBootId = (await containerd.Ctr("task", "exec", "--exec-id", "b", pod, "cat", "/proc/sys/kernel/random/boot_id")).Ok().Stdout.Trim();
            Assert.Equal(podBootId, appRun.Stdout.Trim());
            Assert.Single(ProcessTable.Find("sandboxrt-" + pod));
            Assert.Empty(ProcessTable.Find("sandboxrt-" + app));
        }
        finally
        {
            await ForceRemoveAsync(pod);
        }
        await AssertShimGoneAsync(pod);
    }

    [Fact]
    public async Task A_cri_style_pod_in_a_network_namespace_mirrors_its_interface_for_every_container()
    {
        Require();
        using var net = await TestNetworkPair.CreateAsync(mtu: 1450);
        await net.ServeFromPeerAsync(8081, "peer-says-hi");
        var pod = Id();
        var app = pod + "-app";
        var withNs = $"network:{net.PodNamespacePath}";
        (await containerd.Ctr(Run("-d", "--with-ns", withNs, "--label", "io.kubernetes.cri.container-type=sandbox", LocalImage.Reference, pod,
            "sh", "-c", "mkdir -p /tmp/www && echo pod-says-hi > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www"))).Ok();
        try
        {
            Assert.Contains("tap0_srt", (await net.InPodAsync("/usr/sbin/tc", "filter", "show", "dev", "eth0", "ingress")).Stdout);
            const string Probe = "cat /sys/class/net/eth0/address /sys/class/net/eth0/mtu; ip -o -4 addr show eth0";
            var sandboxView = (await containerd.Ctr("task", "exec", "--exec-id", "n1", pod, "sh", "-c", Probe)).Ok().Stdout;
            Assert.StartsWith($"{net.PodMac}\n{net.Mtu}\n", sandboxView);
            Assert.Contains($"inet {net.PodAddress}/24", sandboxView);
            // an app container of the pod (as the CRI plugin makes it: same network namespace path) sees the same interface
            var appRun = await containerd.Ctr(Run("--rm", "--with-ns", withNs, "--label", "io.kubernetes.cri.container-type=container",
                "--label", "io.kubernetes.cri.sandbox-id=" + pod, LocalImage.Reference, app, "sh", "-c", Probe + $"; timeout 10 wget -q -O - http://{net.PeerAddress}:8081/"));
            Assert.True(appRun.ExitCode == 0, appRun.Stderr);
            Assert.Equal(sandboxView + "peer-says-hi\n", appRun.Stdout);
            var inbound = await net.FetchFromPeerAsync(net.PodAddress, 8080, TimeSpan.FromSeconds(20));
            Assert.True(inbound.ExitCode == 0, $"the peer could not fetch from the pod: {inbound.Stderr}");
            Assert.Equal("pod-says-hi\n", inbound.Stdout);
        }
        finally
        {
            await ForceRemoveAsync(pod);
        }
        await AssertShimGoneAsync(pod);
        Assert.Equal("", await net.PodLeftoversAsync());
    }

    [Fact]
    public async Task A_network_namespace_path_that_is_not_one_fails_the_task_and_starts_no_vm()
    {
        Require();
        var id = Id();
        var run = await containerd.Ctr(Run("--rm", "--with-ns", "network:/proc/self/ns/mnt", LocalImage.Reference, id, "true"));
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("'/proc/self/ns/mnt' is not a network namespace", run.Stderr);
        Assert.Empty(ProcessTable.Find("sandboxrt-" + id));
        await containerd.Ctr("container", "delete", id);
        await AssertShimGoneAsync(id);
    }

    [Fact]
    public async Task A_running_shim_survives_a_containerd_restart_and_containerd_reconnects()
    {
        Require();
        var id = Id();
        (await containerd.Ctr(Run("-d", LocalImage.Reference, id, "sh", "-c", "trap 'exit 9' TERM; while true; do sleep 0.2; done"))).Ok();
        try
        {
            var shim = Assert.Single(ProcessTable.Find($"-id {id} -socket"));
            await containerd.RestartAsync();
            Assert.Contains(shim, ProcessTable.Find($"-id {id} -socket"));
            Assert.Contains("RUNNING", (await WaitForStatusAsync(id, "RUNNING")).Split('\n').Single(l => l.StartsWith(id)));
            Assert.Equal("after restart\n", (await containerd.Ctr("task", "exec", "--exec-id", "r", id, "echo", "after restart")).Ok().Stdout);
            (await containerd.Ctr("task", "kill", id)).Ok();
            Assert.Contains("STOPPED", await WaitForStatusAsync(id, "STOPPED"));
            Assert.Contains("exit code 9", (await containerd.Ctr("task", "delete", id)).Ok().Stderr);
            (await containerd.Ctr("container", "delete", id)).Ok();
            await AssertShimGoneAsync(id);
        }
        finally
        {
            await ForceRemoveAsync(id);
        }
    }

    [Fact]
    public async Task Ctr_run_with_a_terminal_gives_the_container_a_tty()
    {
        Require();
        TestEnvironment.RequireCommand("script", "bsdutils");
        var id = Id();
        var command = $"ctr -a {containerd.Socket} {string.Join(' ', Run("--rm", "-t", LocalImage.Reference, id, "sh", "-c", "'tty; stty size; exit 4'"))}";
        var run = await Command.RunAsync("script", ["-qec", command, "/dev/null"]);
        Assert.Equal(4, run.ExitCode);
        Assert.Matches(@"/dev/pts/\d+", run.Stdout);
        await AssertShimGoneAsync(id);
    }

    [Fact]
    public async Task A_config_that_does_not_exist_fails_the_start_with_its_path()
    {
        Require();
        var id = Id();
        var run = await containerd.Ctr("run", "--rm", "--runtime", Runtime, "--runtime-config-path", "/nonexistent/qemu.json", LocalImage.Reference, id, "true");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("/nonexistent/qemu.json", run.Stderr);
        await containerd.Ctr("container", "delete", id);
    }

    private async Task<string> WaitForStatusAsync(string id, string status)
    {
        string ls = "";
        for (int i = 0; i < 100 && !ls.Split('\n').Any(l => l.StartsWith(id) && l.Contains(status)); i++)
        {
            await Task.Delay(200);
            ls = (await containerd.Ctr("task", "ls")).Stdout;
        }
        return ls;
    }

    private async Task ForceRemoveAsync(string id)
    {
        await containerd.Ctr("task", "kill", "-s", "9", id);
        await containerd.Ctr("task", "delete", "-f", id);
        await containerd.Ctr("container", "delete", id);
    }

    /// <summary>No shim daemon, VM, virtiofsd, mount, run file or shim directory left for the pod (see <see cref="LeakChecker"/>).</summary>
    /// <summary>Kills a running task, deletes it and its container, and checks that its shim left nothing.</summary>
    private async Task KillAndDeleteAsync(string id)
    {
        (await containerd.Ctr("task", "kill", "-s", "KILL", id)).Ok();
        await WaitForStatusAsync(id, "STOPPED");
        (await containerd.Ctr("task", "delete", id)).Ok();
        (await containerd.Ctr("container", "delete", id)).Ok();
        await AssertShimGoneAsync(id);
    }

    private Task AssertShimGoneAsync(string podId) => LeakChecker.ForShim(containerd.Socket, podId, before: HostSnapshot.Empty).AssertCleanAsync();

    /// <summary>The test's hypervisor config, written once into containerd's scratch directory.</summary>
    private string WriteConfig()
    {
        var path = containerd.ScratchPath("qemu.json");
        return File.Exists(path) ? path : VmTestConfig.WriteFile(path);
    }
}
