using System.Text.Json;
using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.EndToEnd;

/// <summary>
/// The Kubernetes path: an independent CRI client (@grpc/grpc-js, tests/cri-client) drives containerd's
/// CRI plugin through a pod's whole life (RunPodSandbox, two app containers and a job, ExecSync, stop,
/// remove) with a RuntimeClass handler whose runtime_type is io.containerd.sandboxrt.v2. The harness
/// script starts and stops its own containerd and checks that nothing is left. The same harness with
/// runc is the baseline that proves the harness itself.
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
        var result = await RunSandboxrtAsync([], "--sized");
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

    [Fact]
    public async Task Pod_network_from_a_cni_plugin_with_runc_proves_the_harness()
    {
        Require();
        var result = await RunAsync(new Dictionary<string, string> { ["EXPECT_BOOT_ID"] = "host", ["NETWORK"] = "cni" });
        AssertPodNetwork(result);
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
            Assert.Fail($"CRI lifecycle failed (exit {run.ExitCode}) at {Field(result, "failedStep")}: {Field(result, "error")}\n" +
                        $"harness: {Field(result, "harness")}\nstderr:\n{Tail(run.Stderr)}");
        Assert.True(result.GetProperty("harness").GetProperty("ok").GetBoolean(), $"harness checks: {Field(result, "harness")}");
        return result;
    }

    private static string Field(JsonElement result, string name) => result.TryGetProperty(name, out var value) ? value.ToString() : "(none)";

    private static string Tail(string text) => string.Join('\n', text.Split('\n').TakeLast(40));
}
