using System.Text.Json;
using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.EndToEnd;

/// <summary>
/// The Kubernetes path: an independent CRI client (@grpc/grpc-js, tests/cri-client) drives containerd's
/// CRI plugin through a pod's whole life (RunPodSandbox, two app containers and a job, ExecSync, stats,
/// streaming exec and attach, stop, remove) with a RuntimeClass handler whose runtime_type is
/// io.containerd.sandboxrt.v2. The harness script starts and stops its own containerd and checks that
/// nothing is left. The same harness with runc is the baseline that proves the harness itself.
/// </summary>
[Trait("Tier", "e2e")]
[Collection("e2e")]
public sealed class CriPodTests
{
    private static string Script => Path.Combine(TestEnvironment.RepoRoot, "tests", "cri-client", "run-with-runc.sh");

    private static void Require()
    {
        TestEnvironment.RequireRoot();
        foreach (var (tool, package) in new[] { ("containerd", "containerd"), ("node", "nodejs"), ("jq", "jq"), ("umoci", "umoci"), ("skopeo", "skopeo"), ("gcc", "gcc") })
            TestEnvironment.RequireCommand(tool, package);
        TestEnvironment.RequireFile("/usr/lib/cni/loopback", "the CNI loopback plugin (apt-get install containernetworking-plugins)");
        TestEnvironment.RequireFile(Path.Combine(TestEnvironment.RepoRoot, "tests", "cri-client", "node_modules", "@grpc", "grpc-js", "package.json"),
            "the CRI client's npm modules (make deps runs npm ci in tests/cri-client)");
    }

    [Fact]
    public async Task Pod_lifecycle_with_runc_proves_the_harness()
    {
        Require();
        var result = await RunAsync(new Dictionary<string, string> { ["EXPECT_BOOT_ID"] = "host" });
        Assert.Equal(result.GetProperty("hostBootId").GetString(), Assert.Single(result.GetProperty("bootIds").EnumerateArray()).GetString());
        AssertKubeletCalls(result);
    }

    [Fact]
    public async Task Pod_lifecycle_with_the_sandboxrt_runtime_class_runs_the_pod_in_one_vm()
    {
        var result = await RunSandboxrtAsync([], "--check-vm-cgroup");
        // every container of the pod answered ExecSync from the same guest kernel, which is not the host's
        var bootId = Assert.Single(result.GetProperty("bootIds").EnumerateArray()).GetString();
        Assert.NotEqual(result.GetProperty("hostBootId").GetString(), bootId);
        // the pod's QEMU and virtiofsd ran under the pod's cgroup parent (the harness checked every hierarchy)
        var vm = result.GetProperty("sandbox").GetProperty("vm").EnumerateArray().Select(p => p.GetProperty("comm").GetString()).ToList();
        TestContext.Current.TestOutputHelper?.WriteLine("the pod's VM processes: " + string.Join(", ", vm));
        Assert.Contains("qemu-system-x86", vm);
        Assert.Contains("virtiofsd", vm);
        AssertKubeletCalls(result);
    }

    /// <summary>
    /// The pod's VM is the default plus its containers' limits: a container with 512 MiB and one CPU that
    /// joins the running pod grows the VM by that much (CPU and memory hot-plug through QMP, onlined by the
    /// agent), a 400 MiB hog inside its limit runs, and UpdateContainerResources raising the limit to 1 GiB
    /// grows it again before the cgroup changes. Removed, it gives all of it back (vCPU and DIMM unplug).
    /// </summary>
    [Fact]
    public async Task A_container_with_limits_joining_a_pod_and_a_raised_limit_grow_the_vm_and_its_removal_shrinks_it()
    {
        // (only the sizing: the stats and streaming checks have tests of their own)
        var result = await RunSandboxrtAsync([], "--sized", "--skip", "stats,exec,attach,debug,exec-timeout,reopen-log,restart");
        var sizing = result.GetProperty("sizing");
        TestContext.Current.TestOutputHelper?.WriteLine(sizing.ToString());
        int Nproc(string when) => sizing.GetProperty(when).GetProperty("nproc").GetInt32();
        long MemTotalMib(string when) => sizing.GetProperty(when).GetProperty("memTotalKiB").GetInt64() / 1024;
        Assert.Equal(1, Nproc("before"));
        Assert.Equal(Math.Min(2, Environment.ProcessorCount), Nproc("joined"));
        Assert.InRange(MemTotalMib("joined") - MemTotalMib("before"), 500, 520);
        Assert.Equal(0, sizing.GetProperty("hog").GetInt32());
        Assert.InRange(MemTotalMib("updated") - MemTotalMib("joined"), 500, 520);
        Assert.Equal((1L << 30).ToString(), sizing.GetProperty("memoryMax").GetString());
        // removed from the pod: the guest ejected the hot-plugged DIMMs, and the vCPU but under TCG (where QEMU
        // 7.2 cannot unplug one safely: it stays plugged and online, see QemuHotplug)
        bool tcg = SandboxRt.Runtime.Hypervisors.HypervisorFactory.Create(VmTestConfig.Load()).Capabilities.Accelerator.IsTcg;
        Assert.Equal(tcg ? Nproc("joined") : Nproc("before"), Nproc("removed"));
        Assert.InRange(MemTotalMib("removed") - MemTotalMib("before"), -8, 8);
    }

    /// <summary>
    /// A container whose only CPU constraint is a cpuset (kubelet's static CPU manager gives a Guaranteed
    /// container exclusive CPUs this way, with no quota when CFS quota is off) grows the pod's VM by as many
    /// vCPUs as its list names, as Kata's calculateSandboxCPUs does: under runc `nproc` in such a container
    /// says 2 for cpuset 0-1, and in a one-vCPU VM it said 1, the guest having no CPU 1 to give it.
    /// </summary>
    [Fact]
    public async Task A_container_pinned_by_cpuset_alone_joining_a_pod_grows_the_vm_by_the_cpus_it_names()
    {
        var cpus = Math.Min(2, Environment.ProcessorCount);
        var list = cpus == 1 ? "0" : "0-1";
        var result = await RunSandboxrtAsync([], "--pinned-cpus", list, "--skip", "stats,exec,attach,debug,exec-timeout,reopen-log,restart");
        var pinning = result.GetProperty("pinning");
        TestContext.Current.TestOutputHelper?.WriteLine(pinning.ToString());
        Assert.Equal(1, pinning.GetProperty("before").GetProperty("nproc").GetInt32());
        Assert.Equal(cpus, pinning.GetProperty("joined").GetProperty("nproc").GetInt32());
        Assert.Equal(list, pinning.GetProperty("effective").GetString());
    }

    [Fact]
    public async Task Pod_network_from_a_cni_plugin_with_runc_proves_the_harness()
    {
        Require();
        var result = await RunAsync(new Dictionary<string, string> { ["EXPECT_BOOT_ID"] = "host", ["NETWORK"] = "cni" });
        AssertPodNetwork(result);
        AssertKubeletCalls(result);
    }

    /// <summary>
    /// containerd runs in a network namespace of the harness's own, with a ptp CNI network: the pod gets a
    /// veth, and the VM mirrors it. The harness checks eth0's MAC, address, MTU and gateway in every
    /// container against the pod namespace, HTTP both ways, a CRI PortForward to the pod's httpd, and that
    /// the CNI tear-down leaves nothing.
    /// </summary>
    [Fact]
    public async Task Pod_network_from_a_cni_plugin_reaches_the_vm_both_ways()
    {
        var result = await RunSandboxrtAsync(new Dictionary<string, string> { ["NETWORK"] = "cni" });
        AssertPodNetwork(result);
        AssertKubeletCalls(result);
        // the VM's tap was in the pod namespace while it ran, next to the CNI veth
        Assert.Contains("tap0_srt", result.GetProperty("network").GetProperty("hostView").GetProperty("links").EnumerateArray().Select(l => l.GetString()));
    }

    private static void AssertPodNetwork(JsonElement result)
    {
        var network = result.GetProperty("network");
        var host = network.GetProperty("hostView");
        var containers = network.GetProperty("containers").EnumerateArray().ToList();
        Assert.Equal(2, containers.Count);
        foreach (var c in containers)
        {
            Assert.Equal(host.GetProperty("mac").GetString(), c.GetProperty("mac").GetString());
            Assert.Equal(host.GetProperty("mtu").GetInt32(), c.GetProperty("mtu").GetInt32());
            Assert.Contains(result.GetProperty("podIp").GetString() + "/24", c.GetProperty("inet").EnumerateArray().Select(a => a.GetString()));
        }
        Assert.Equal(0, network.GetProperty("peerToPod").GetProperty("exitCode").GetInt32());
        Assert.All(network.GetProperty("podToPeer").EnumerateArray(), p => Assert.Equal(0, p.GetProperty("exitCode").GetInt32()));
        // kubectl port-forward's path: containerd's streaming server, opened as a websocket (v4.channel.k8s.io)
        // from the node's side at the URL of the CRI PortForward call, announced app-0's httpd port on both
        // channels, carried an HTTP GET to localhost:8080 inside the pod and brought back httpd's answer, the
        // run's token, with nothing on the error channel (where a refused connection is reported)
        var portForward = network.GetProperty("portForward");
        Assert.True(portForward.GetProperty("ok").GetBoolean(), $"port forward: {portForward}");
        Assert.Equal(8080, portForward.GetProperty("port").GetInt32());
        Assert.Equal("v4.channel.k8s.io", portForward.GetProperty("protocol").GetString());
        Assert.Equal(8080, portForward.GetProperty("portHeaders").GetProperty("data").GetInt32());
        Assert.Equal(8080, portForward.GetProperty("portHeaders").GetProperty("error").GetInt32());
        Assert.Matches(@"^HTTP/1\.[01] 200 ", portForward.GetProperty("statusLine").GetString());
        Assert.Equal(network.GetProperty("podToken").GetString() + "\n", portForward.GetProperty("body").GetString());
        Assert.Equal("", portForward.GetProperty("errorChannel").GetString());
        var harness = result.GetProperty("harness").GetProperty("network");
        Assert.True(harness.GetProperty("podNetnsGone").GetBoolean());
        Assert.Empty(harness.GetProperty("linksLeft").EnumerateArray());
        Assert.True(harness.GetProperty("rootNamespaceUnchanged").GetBoolean());
    }

    /// <summary>
    /// What kubelet asks of a running pod besides its lifecycle, as the harness measured it (cri-stats.js,
    /// cri-streaming.js; the harness already failed the run on any of it, this pins the measured values):
    /// stats as metrics-server reads them (every app container named by its id, with cumulative CPU > 0
    /// that does not go down between two calls and a working set > 0; the container that ran an exec
    /// putting 16 MiB in /dev/shm, writing 32 MiB to a file and spinning about a second shows that CPU, at
    /// least the shared memory in its working set and the file's page cache outside it; no available_bytes
    /// wrapped around below zero, page faults counted;
    /// the pod-level stats containerd 1.6.20 implements name the pod and its two containers, with eth0's
    /// traffic when the pod has its own network), kubectl exec over the streaming server's websocket
    /// (v4.channel.k8s.io: a line sent on stdin comes back on stdout, stderr is separate, exit code 3
    /// arrives as a NonZeroExitCode status and exit 0 as Success; 588895 bytes of stdout arrive whole and in
    /// order, 256 KiB of stdin arrive whole; a command killed by SIGKILL ends with exit code 137; with a tty,
    /// a resize to 100x30 reaches the process's terminal, a /dev/pts), and kubectl attach (two lines sent one
    /// after the other to a running container's stdin are echoed on stdout and in its log), and kubectl
    /// debug --target (an ephemeral-style container with NamespaceMode TARGET on app-0, once app-0 is the only
    /// app container running: its ps shows app-0's sh as pid 1, not pause and not itself).
    /// </summary>
    private static void AssertKubeletCalls(JsonElement result)
    {
        var debugTarget = result.GetProperty("debugTarget");
        Assert.Equal(0, debugTarget.GetProperty("exitCode").GetInt32());
        Assert.Contains(debugTarget.GetProperty("ps").EnumerateArray(), l => System.Text.RegularExpressions.Regex.IsMatch(l.GetString()!, @"^\s*1 sh -c trap 'exit 0' TERM;"));

        var stats = result.GetProperty("stats");
        var worker = stats.GetProperty("worker").GetString()!;
        const long mib = 1024 * 1024;
        var ids = result.GetProperty("containers").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("id").GetString());
        static long Cpu(JsonElement s) => s.GetProperty("cpu").GetProperty("usageCoreNanoSeconds").GetInt64();
        static long WorkingSet(JsonElement s) => s.GetProperty("memory").GetProperty("workingSetBytes").GetInt64();
        foreach (var name in new[] { "app-0", "app-1" })
        {
            var before = stats.GetProperty("before").GetProperty(name);
            var after = stats.GetProperty("after").GetProperty(name);
            Assert.Equal(ids[name], before.GetProperty("id").GetString());
            Assert.True(Cpu(before) > 0 && WorkingSet(before) > 0, $"stats of {name}: {before}");
            Assert.True(Cpu(after) >= Cpu(before), $"cpu of {name} went down: {Cpu(before)} then {Cpu(after)}");
        }
        Assert.True(stats.GetProperty("workerCpuDeltaNs").GetInt64() > 0, $"stats: {stats}");
        Assert.True(WorkingSet(stats.GetProperty("after").GetProperty(worker)) >= 16 * mib, $"working set of {worker} after 16 MiB in /dev/shm: {stats.GetProperty("after").GetProperty(worker)}");
        // the 32 MiB the worker wrote to a file are page cache: in its usage, not its working set
        var pageCache = stats.GetProperty("pageCache");
        if (pageCache.GetProperty("checked").GetBoolean())
            Assert.True(pageCache.GetProperty("outsideWorkingSet").GetInt64() >= 16 * mib, $"page cache in the working set: {pageCache}");
        Assert.Empty(stats.GetProperty("problems").EnumerateObject());
        Assert.Equal(ids.Where(c => c.Key.StartsWith("app-")).Select(c => c.Value).Order(),
            stats.GetProperty("list").EnumerateArray().Select(s => s.GetProperty("id").GetString()).Order());
        var pod = stats.GetProperty("pod");
        TestContext.Current.TestOutputHelper?.WriteLine("PodSandboxStats: " + pod);
        if (pod.GetProperty("implemented").GetBoolean())
        {
            Assert.Equal(result.GetProperty("podSandboxId").GetString(), pod.GetProperty("id").GetString());
            Assert.True(Cpu(pod) > 0 && WorkingSet(pod) > 0, $"PodSandboxStats: {pod}");
            Assert.Equal(2, pod.GetProperty("containers").GetArrayLength());
            if (result.TryGetProperty("network", out _))
                Assert.True(pod.GetProperty("network").GetProperty("rxBytes").GetInt64() > 0, $"PodSandboxStats network: {pod}");
        }

        var exec = result.GetProperty("streaming").GetProperty("exec").EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!);
        TestContext.Current.TestOutputHelper?.WriteLine("v5.channel.k8s.io alone: " + result.GetProperty("streaming").GetProperty("v5"));
        var exit3 = exec["stdin-stdout-stderr-exit3"];
        Assert.Equal("v4.channel.k8s.io", exit3.GetProperty("protocol").GetString());
        Assert.Matches(@"^out:stdin-[0-9a-f]{12}\n$", exit3.GetProperty("stdout").GetString());
        Assert.Equal("err\n", exit3.GetProperty("stderr").GetString());
        var status = exit3.GetProperty("status");
        Assert.Equal("NonZeroExitCode", status.GetProperty("reason").GetString());
        Assert.Equal("3", Assert.Single(status.GetProperty("details").GetProperty("causes").EnumerateArray()).GetProperty("message").GetString());
        Assert.Equal("Success", exec["two-stdin-messages-exit0"].GetProperty("status").GetProperty("status").GetString());
        var large = exec["large-stdout"];
        Assert.Equal(588895, large.GetProperty("stdoutBytes").GetInt32());
        Assert.Equal("Success", large.GetProperty("status").GetProperty("status").GetString());
        Assert.Equal(exec["large-stdin"].GetProperty("sentMd5").GetString() + "  -\n", exec["large-stdin"].GetProperty("stdout").GetString());
        var killed = exec["killed-by-sigkill"];
        Assert.Equal("before\n", killed.GetProperty("stdout").GetString());
        Assert.Equal("137", Assert.Single(killed.GetProperty("status").GetProperty("details").GetProperty("causes").EnumerateArray()).GetProperty("message").GetString());
        var tty = exec["tty-resize"];
        Assert.Equal("30 100", tty.GetProperty("sttySize").GetString());
        Assert.Matches(@"^/dev/pts/\d+$", tty.GetProperty("ttyName").GetString());
        Assert.Equal("Success", tty.GetProperty("status").GetProperty("status").GetString());

        var attach = result.GetProperty("streaming").GetProperty("attach");
        var echoes = new[] { "token", "second" }.Select(p => "attach:" + attach.GetProperty(p).GetString()).ToList();
        Assert.Equal(string.Concat(echoes.Select(e => e + "\n")), attach.GetProperty("stdout").GetString());
        Assert.EndsWith(" stdout F " + echoes[1], attach.GetProperty("logLine").GetString());
    }

    private static async Task<JsonElement> RunSandboxrtAsync(Dictionary<string, string> environment, params string[] arguments)
    {
        Require();
        TestEnvironment.RequireVmPrerequisites();
        var shimDirectory = Path.GetDirectoryName(CliRun.Binary)!;
        TestEnvironment.RequireFile(Path.Combine(shimDirectory, "containerd-shim-sandboxrt-v2"), "the containerd shim (make build)");
        var config = VmTestConfig.WriteFile(Path.Combine(Path.GetTempPath(), $"sandboxrt-cri-test-{Environment.ProcessId}-{Guid.NewGuid():N}.json"));
        try
        {
            environment["HANDLER"] = "sandboxrt";
            environment["SHIM_PATH_DIR"] = shimDirectory;
            environment["HANDLER_CONFIG_PATH"] = config;
            environment["EXPECT_BOOT_ID"] = "other";
            var result = await RunAsync(environment, arguments);
            // containerd asks the shim to shut down when the pod is removed; the shim exits after answering
            await Condition.WaitAsync(() => ProcessTable.Find("containerd-shim-sandboxrt-v2 -namespace k8s.io").Count == 0,
                "the pod's shim to exit after the pod was removed", TimeSpan.FromSeconds(30));
            return result;
        }
        finally
        {
            File.Delete(config);
        }
    }

    private static async Task<JsonElement> RunAsync(Dictionary<string, string> environment, params string[] arguments)
    {
        // bounded by SIGTERM first, so that the harness's own cleanup runs (it stops what it started) and reports
        var run = await Command.RunAsync("timeout", ["-s", "TERM", "-k", "30", "240", Script, .. arguments], environment: environment, timeout: TimeSpan.FromMinutes(5));
        JsonElement result;
        try
        {
            result = JsonDocument.Parse(run.Stdout).RootElement;
        }
        catch (JsonException)
        {
            Assert.Fail($"the harness printed no JSON (exit {run.ExitCode}); stderr:\n{Tail(run.Stderr)}");
            throw;
        }
        if (run.ExitCode != 0 || !result.GetProperty("ok").GetBoolean())
        {
            // the step on a short line of its own, and again last with the start of its error: a log excerpt
            // of either end names it
            var step = $"CRI lifecycle failed (exit {run.ExitCode}) at {Field(result, "failedStep")}";
            var error = Field(result, "error");
            Assert.Fail($"{step}\nerror: {error}\nharness: {Field(result, "harness")}\nstderr:\n{Tail(run.Stderr)}\n" +
                        $"{step}: {(error.Length > 300 ? error[..300] + "..." : error)}");
        }
        Assert.True(result.GetProperty("harness").GetProperty("ok").GetBoolean(), $"harness checks: {Field(result, "harness")}");
        return result;
    }

    // a string as it is, anything else on one line (the harness prints its JSON indented)
    private static string Field(JsonElement result, string name) =>
        !result.TryGetProperty(name, out var value) ? "(none)"
        : value.ValueKind == JsonValueKind.String ? value.GetString()!
        : JsonSerializer.Serialize(value, OneLine);

    private static readonly JsonSerializerOptions OneLine = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Tail(string text) => string.Join('\n', text.Split('\n').TakeLast(40));
}
