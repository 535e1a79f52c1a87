using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
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
        var id = "mon-" + Guid.NewGuid().ToString("N")[..8];
        using var monitor = Process.Start(new ProcessStartInfo(CliRun.Binary, ["--root", state.Path, "monitor", "--listen", "127.0.0.1:0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            // "sandboxrt monitor: serving http://127.0.0.1:PORT/metrics for ROOT"
            var banner = await monitor.StandardOutput.ReadLineAsync() ?? throw new Xunit.Sdk.XunitException("monitor exited: " + await monitor.StandardError.ReadToEndAsync());
            var url = Regex.Match(banner, @"http://\S+/metrics").Value;
            Assert.False(string.IsNullOrEmpty(url), banner);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

            using var bundle = new TestBundle(s => s.Process!.Args = ["sh", "-c", "sleep 3600"]);
            var create = await CliRun.RunLeavingRelayAsync(["create", "--bundle", bundle.Directory, id], state.Path);
            Assert.True(create.ExitCode == 0, create.Stderr);
            Assert.Equal(0, (await CliRun.RunAsync(["start", id], root: state.Path)).ExitCode);

            string text = "";
            await Condition.WaitAsync(async () => (text = await http.GetStringAsync(url)).Contains($"sandboxrt_guest_memory_usage_bytes{{sandbox=\"{id}\"}}"),
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

            var check = await Command.RunAsync("/bin/sh", ["-c", $"'{promtool}' check metrics"], stdin: text);
            Assert.True(check.ExitCode == 0, "promtool check metrics: " + check.Stdout + check.Stderr);

            Assert.Equal(0, (await CliRun.RunAsync(["delete", "--force", id], root: state.Path)).ExitCode);
            text = await http.GetStringAsync(url);
            Assert.Equal(0, Value(text, "sandboxrt_sandboxes"));
            Assert.DoesNotContain($"sandbox=\"{id}\"", text);
        }
        finally
        {
            await CliRun.RunAsync(["delete", "--force", id], root: state.Path);
            if (!monitor.HasExited)
                SandboxRt.Interop.ChildProcesses.Signal(monitor.Id, 15);
            await monitor.WaitForExitAsync();
        }
        Assert.Equal(0, monitor.ExitCode);
    }

    /// <summary>The value of one sample line ("NAME{LABELS} VALUE") of the text exposition.</summary>
    private static double Value(string text, string series)
    {
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"no sample {series} in:\n{text}");
        return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }
}
