using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.Monitoring;

/// <summary>
/// `sandboxrt monitor`: a running container's series appear on /metrics (guest cgroup statistics from its
/// agent, the host cost of QEMU, virtiofsd and the relay, boot and create latencies from the node's
/// journal), `promtool check metrics` accepts the exposition, and the series go when the container does.
/// </summary>
[Trait("Tier", "vm")]
public sealed class MonitorTests
{
    [Fact]
    public async Task Metrics_show_a_running_sandbox_its_guest_and_host_costs_and_latencies_and_promtool_accepts_them()
    {
        TestEnvironment.RequireVmPrerequisites();
        var promtool = TestEnvironment.FindOnPath("promtool");
        if (promtool is null)
            TestEnvironment.Skip("needs promtool (apt-get install prometheus)");
        using var state = new ScratchDirectory("srt-state");
        using var noShims = new ScratchDirectory("srt-shims"); // pods of other tests under the real shim root would change the count
        var id = "mon-" + Guid.NewGuid().ToString("N")[..8];
        var monitor = await MonitorProcess.StartAsync(state.Path, "--shim-root", noShims.Path);
        try
        {
            using var bundle = new TestBundle(s => s.Process!.Args = ["sh", "-c", "sleep 3600"]);
            var create = await CliRun.RunLeavingRelayAsync(["create", "--bundle", bundle.Directory, id], state.Path);
            Assert.True(create.ExitCode == 0, create.Stderr);
            Assert.Equal(0, (await CliRun.RunAsync(["start", id], root: state.Path)).ExitCode);

            string text = "";
            await Condition.WaitAsync(async () => (text = await monitor.ScrapeAsync()).Contains($"sandboxrt_guest_memory_usage_bytes{{sandbox=\"{id}\"}}"),
                "the container's guest statistics on /metrics", TimeSpan.FromSeconds(60));
            TestContext.Current.TestOutputHelper?.WriteLine(text);
            Assert.Equal(1, Value(text, "sandboxrt_sandboxes"));
            Assert.True(Value(text, $"sandboxrt_guest_memory_usage_bytes{{sandbox=\"{id}\"}}") > 0);
            Assert.True(Value(text, $"sandboxrt_guest_pids{{sandbox=\"{id}\"}}") >= 1);
            Assert.True(Value(text, $"sandboxrt_host_pss_bytes{{sandbox=\"{id}\",process=\"qemu\"}}") > 1024 * 1024);
            Assert.True(Value(text, $"sandboxrt_host_pss_bytes{{sandbox=\"{id}\",process=\"relay\"}}") > 0);
            Assert.True(Value(text, $"sandboxrt_host_cpu_seconds_total{{sandbox=\"{id}\",process=\"qemu\"}}") > 0);
            // this container's boot and create at least (other tests may boot VMs meanwhile)
            Assert.True(Value(text, "sandboxrt_boot_seconds_count") >= 1);
            Assert.True(Value(text, "sandboxrt_create_seconds_count") >= 1);

            await MonitorProcess.AssertPromtoolAcceptsAsync(promtool!, text);

            Assert.Equal(0, (await CliRun.RunAsync(["delete", "--force", id], root: state.Path)).ExitCode);
            text = await monitor.ScrapeAsync();
            Assert.Equal(0, Value(text, "sandboxrt_sandboxes"));
            Assert.DoesNotContain($"sandbox=\"{id}\"", text);
        }
        finally
        {
            await CliRun.RunAsync(["delete", "--force", id], root: state.Path);
            await monitor.DisposeAsync();
        }
        Assert.Equal(0, monitor.ExitCode);
    }

    private static double Value(string text, string series) => MonitorProcess.Value(text, series);
}
