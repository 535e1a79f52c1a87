using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Monitoring;
using SandboxRt.Runtime.State;

namespace SandboxRt.UnitTests.Monitoring;

/// <summary>
/// NodeMetrics over a shim root: shims answering on their stats sockets (the real PodStatsServer with a
/// fake report) give their pods' guest and host series; a shim that never answers or answers nonsense is
/// skipped and counted as a "stats" error within the timeout; a pod's series go when its shim does.
/// </summary>
[Trait("Tier", "unit")]
public sealed class PodStatsTests
{
    [Fact]
    public async Task A_shims_pod_gets_guest_series_per_container_and_host_series_that_go_with_the_shim()
    {
        using var shims = new TempDirectory();
        using var journal = new TempDirectory();
        var self = ProcessIdentity.Of(Environment.ProcessId)!; // alive: stands for the shim and the VMM
        var report = new PodStatsReport
        {
            PodId = "pod1",
            Shim = self,
            Hypervisor = self,
            Containers =
            [
                new PodContainerStats("pod1", new ContainerStats(1_000_000, 0, 0, 1024, 0, 0, 0, 0, 1, 0, 0, 0)),
                new PodContainerStats("app1", new ContainerStats(2_500_000, 0, 0, 4096, 8192, 0, 0, 1, 3, 0, 10, 20)),
            ],
            Failures = 1,
        };
        var server = PodStatsServer.Start(Directory.CreateDirectory(Path.Combine(shims.Path, "a")).FullName, _ => Task.FromResult(report), NullLogger.Instance);
        var metrics = new NodeMetrics([], Path.Combine(journal.Path, "journal"), shimRoot: shims.Path);

        var text = await ScrapeAsync(metrics.Registry);
        Assert.Contains("sandboxrt_sandboxes 1", text);
        Assert.Contains("sandboxrt_guest_cpu_seconds_total{sandbox=\"app1\"} 2.5", text);
        Assert.Contains("sandboxrt_guest_memory_usage_bytes{sandbox=\"app1\"} 4096", text);
        Assert.Contains("sandboxrt_guest_memory_limit_bytes{sandbox=\"app1\"} 8192", text);
        Assert.Contains("sandboxrt_guest_pids{sandbox=\"app1\"} 3", text);
        Assert.Contains("sandboxrt_guest_io_write_bytes_total{sandbox=\"app1\"} 20", text);
        Assert.Contains("sandboxrt_guest_oom_kills_total{sandbox=\"app1\"} 1", text);
        Assert.Contains("sandboxrt_guest_memory_usage_bytes{sandbox=\"pod1\"} 1024", text);
        Assert.Contains("sandboxrt_host_pss_bytes{sandbox=\"pod1\",process=\"qemu\"}", text);
        Assert.Contains("sandboxrt_host_cpu_seconds_total{sandbox=\"pod1\",process=\"shim\"}", text);
        Assert.Contains("sandboxrt_errors_total{phase=\"stats\"} 1", text); // the container the shim could not ask

        await server.DisposeAsync();
        Assert.False(File.Exists(PodStatsSocket.PathIn(Path.Combine(shims.Path, "a"))));
        text = await ScrapeAsync(metrics.Registry);
        Assert.Contains("sandboxrt_sandboxes 0", text);
        Assert.DoesNotContain("sandbox=\"app1\"", text);
        Assert.DoesNotContain("sandbox=\"pod1\"", text);
    }

    [Fact]
    public async Task A_shim_that_never_answers_or_answers_nonsense_is_skipped_and_counted_without_holding_up_the_others()
    {
        using var shims = new TempDirectory();
        using var journal = new TempDirectory();
        var self = ProcessIdentity.Of(Environment.ProcessId)!;
        var good = new PodStatsReport { PodId = "good", Hypervisor = self, Containers = [new PodContainerStats("good", new ContainerStats(0, 0, 0, 7, 0, 0, 0, 0, 1, 0, 0, 0))] };
        await using var server = PodStatsServer.Start(Directory.CreateDirectory(Path.Combine(shims.Path, "good")).FullName, _ => Task.FromResult(good), NullLogger.Instance);
        // a stuck shim: its socket accepts connections into the backlog and never writes
        using var stuck = Listen(Path.Combine(shims.Path, "stuck"));
        // a shim that answers with an id no container can have
        var bad = new PodStatsReport { PodId = "../etc", Hypervisor = self };
        await using var badServer = PodStatsServer.Start(Directory.CreateDirectory(Path.Combine(shims.Path, "bad")).FullName, _ => Task.FromResult(bad), NullLogger.Instance);
        var metrics = new NodeMetrics([], Path.Combine(journal.Path, "journal"), shimRoot: shims.Path) { StatsTimeout = TimeSpan.FromMilliseconds(300) };

        var text = await ScrapeAsync(metrics.Registry).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("sandboxrt_sandboxes 1", text);
        Assert.Contains("sandboxrt_guest_memory_usage_bytes{sandbox=\"good\"} 7", text);
        Assert.Contains("sandboxrt_errors_total{phase=\"stats\"} 2", text);
        Assert.DoesNotContain("etc", text);
    }

    [Fact]
    public async Task A_report_larger_than_the_bound_is_refused()
    {
        using var shims = new TempDirectory();
        var huge = new PodStatsReport { PodId = new string('a', 200), Containers = [.. Enumerable.Range(0, 20_000).Select(i => new PodContainerStats("c" + i, new ContainerStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))] };
        var directory = Directory.CreateDirectory(Path.Combine(shims.Path, "huge")).FullName;
        await using var server = PodStatsServer.Start(directory, _ => Task.FromResult(huge), NullLogger.Instance);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => PodStatsSocket.AskAsync(PodStatsSocket.PathIn(directory), CancellationToken.None));
        Assert.Contains("larger than", e.Message);
    }

    private static Socket Listen(string directory)
    {
        Directory.CreateDirectory(directory);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(PodStatsSocket.PathIn(directory)));
        socket.Listen(8);
        return socket;
    }

    private static Task<string> ScrapeAsync(CollectorRegistry registry) => NodeMetricsTests.ScrapeAsync(registry);
}
