using Prometheus;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Monitoring;
using SandboxRt.Runtime.State;
using SandboxRt.UnitTests.Fakes;

namespace SandboxRt.UnitTests.Monitoring;

/// <summary>NodeMetrics over a state root and a FakeAgent: the series a running sandbox gets, a guest that fails, and removal when it goes.</summary>
[Trait("Tier", "unit")]
public sealed class NodeMetricsTests
{
    [Fact]
    public async Task A_running_sandbox_gets_guest_and_host_series_that_go_when_it_does()
    {
        using var root = new TempDirectory();
        using var journal = new TempDirectory();
        var store = new StateStore(root.Path);
        var self = ProcessIdentity.Of(Environment.ProcessId)!; // alive: stands for the relay and the VMM
        store.Save(new ContainerRecord { Id = "c1", Status = ContainerStatus.Running, Relay = self, Hypervisor = self });
        var agent = new FakeAgent { Stats = new ContainerStats(2_500_000, 0, 0, 4096, 8192, 0, 0, 1, 3, 0, 10, 20) };
        var metrics = new NodeMetrics([root.Path], Path.Combine(journal.Path, "journal"), (_, _, _) => agent);

        var text = await ScrapeAsync(metrics.Registry);
        Assert.Contains("sandboxrt_sandboxes 1", text);
        Assert.Contains("sandboxrt_guest_cpu_seconds_total{sandbox=\"c1\"} 2.5", text);
        Assert.Contains("sandboxrt_guest_memory_usage_bytes{sandbox=\"c1\"} 4096", text);
        Assert.Contains("sandboxrt_guest_pids{sandbox=\"c1\"} 3", text);
        Assert.Contains("sandboxrt_guest_oom_kills_total{sandbox=\"c1\"} 1", text);
        Assert.Contains("sandboxrt_host_pss_bytes{sandbox=\"c1\",process=\"qemu\"}", text);
        Assert.Equal(["Stats c1"], agent.Calls);
        Assert.True(agent.Disposed);

        agent.Failures["Stats"] = new AgentException(AgentErrorKind.Unavailable, "Stats", "the guest does not answer");
        text = await ScrapeAsync(metrics.Registry);
        Assert.Contains("sandboxrt_errors_total{phase=\"stats\"} 1", text);

        Directory.Delete(store.Directory("c1"), recursive: true);
        text = await ScrapeAsync(metrics.Registry);
        Assert.Contains("sandboxrt_sandboxes 0", text);
        Assert.DoesNotContain("sandbox=\"c1\"", text);
    }

    /// <summary>The registry's text exposition, as a scrape gets it.</summary>
    internal static async Task<string> ScrapeAsync(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
