using SandboxRt.IntegrationTests.EndToEnd;
using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.Monitoring;

/// <summary>
/// `sandboxrt monitor` and a pod under containerd-shim-sandboxrt-v2 (containerd 1.6, a CRI-style pod of a
/// sandbox container and an app container made with ctr): the shim answers for its pod on its stats
/// socket, so each container gets the guest series a CLI container gets, the pod gets the host cost of
/// its QEMU, virtiofsd and shim, `promtool check metrics` accepts the exposition, and the series go with
/// the pod.
/// </summary>
[Trait("Tier", "e2e")]
[Collection("e2e")]
public sealed class ShimPodMonitorTests(ContainerdDaemon containerd) : IClassFixture<ContainerdDaemon>
{
    private const string Runtime = "io.containerd.sandboxrt.v2";
    private static readonly string ShimBinary = Path.Combine(Path.GetDirectoryName(CliRun.Binary)!, "containerd-shim-sandboxrt-v2");

    [Fact]
    public async Task A_shim_pods_containers_get_guest_series_and_the_pod_its_host_costs_and_promtool_accepts_them()
    {
        TestEnvironment.RequireVmPrerequisites();
        containerd.RequireRunning();
        TestEnvironment.RequireFile(ShimBinary, "the containerd shim (make build)");
        var promtool = TestEnvironment.FindOnPath("promtool");
        if (promtool is null)
            TestEnvironment.Skip("needs promtool (apt-get install prometheus)");
        var config = containerd.ScratchPath("qemu.json");
        if (!File.Exists(config))
            VmTestConfig.WriteFile(config);
        var pod = "mpod-" + Guid.NewGuid().ToString("N")[..8];
        var app = pod + "-app";
        using var noContainers = new ScratchDirectory("srt-state");
        // the real shim root: other tests' pods may be there too, so only this pod's series are asserted
        var monitor = await MonitorProcess.StartAsync(noContainers.Path);
        try
        {
            (await containerd.Ctr("run", "--runtime", Runtime, "--runtime-config-path", config, "-d", "--label", "io.kubernetes.cri.container-type=sandbox",
                LocalImage.Reference, pod, "sleep", "1000")).Ok();
            (await containerd.Ctr("run", "--runtime", Runtime, "--runtime-config-path", config, "-d", "--label", "io.kubernetes.cri.container-type=container",
                "--label", "io.kubernetes.cri.sandbox-id=" + pod, LocalImage.Reference, app, "sleep", "1000")).Ok();

            string text = "";
            await Condition.WaitAsync(async () => (text = await monitor.ScrapeAsync()).Contains($"sandboxrt_guest_memory_usage_bytes{{sandbox=\"{app}\"}}")
                    && text.Contains($"sandboxrt_guest_memory_usage_bytes{{sandbox=\"{pod}\"}}"),
                "the pod's containers' guest statistics on /metrics", TimeSpan.FromSeconds(60));
            TestContext.Current.TestOutputHelper?.WriteLine(text);
            Assert.True(Value(text, "sandboxrt_sandboxes") >= 1);
            foreach (var id in new[] { pod, app })
            {
                Assert.True(Value(text, $"sandboxrt_guest_memory_usage_bytes{{sandbox=\"{id}\"}}") > 0, id);
                Assert.True(Value(text, $"sandboxrt_guest_pids{{sandbox=\"{id}\"}}") >= 1, id);
                Assert.True(Value(text, $"sandboxrt_guest_cpu_seconds_total{{sandbox=\"{id}\"}}") >= 0, id);
                Assert.Equal(0, Value(text, $"sandboxrt_guest_oom_kills_total{{sandbox=\"{id}\"}}"));
            }
            Assert.True(Value(text, $"sandboxrt_host_pss_bytes{{sandbox=\"{pod}\",process=\"qemu\"}}") > 1024 * 1024);
            Assert.True(Value(text, $"sandboxrt_host_cpu_seconds_total{{sandbox=\"{pod}\",process=\"qemu\"}}") > 0);
            Assert.True(Value(text, $"sandboxrt_host_pss_bytes{{sandbox=\"{pod}\",process=\"shim\"}}") > 0);
            Assert.DoesNotContain($"sandbox=\"{app}\",process=", text); // host processes are the pod's, not its app container's

            await MonitorProcess.AssertPromtoolAcceptsAsync(promtool!, text);

            await ForceRemoveAsync(app);
            await ForceRemoveAsync(pod);
            await Condition.WaitAsync(async () => !(text = await monitor.ScrapeAsync()).Contains($"sandbox=\"{pod}"),
                "the pod's series gone from /metrics", TimeSpan.FromSeconds(60));
        }
        finally
        {
            await ForceRemoveAsync(app);
            await ForceRemoveAsync(pod);
            await monitor.DisposeAsync();
        }
        Assert.Equal(0, monitor.ExitCode);
    }

    private static double Value(string text, string series) => MonitorProcess.Value(text, series);

    private async Task ForceRemoveAsync(string id)
    {
        await containerd.Ctr("task", "kill", "-s", "9", id);
        await containerd.Ctr("task", "delete", "-f", id);
        await containerd.Ctr("container", "delete", id);
    }
}
