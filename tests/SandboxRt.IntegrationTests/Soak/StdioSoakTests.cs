using System.Diagnostics;
using SandboxRt.IntegrationTests.Faults;
using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.Soak;

/// <summary>
/// The stdio part of the soak (issue 13; `make soak`, not `make test`): 1 GiB of a container's stdout
/// through the CLI's relay and through containerd's shim, and 1 GiB of pseudo-random stdin through the
/// CLI's relay, every byte checked (count and SHA-256), the rate reported; and a reader slower than the container's writer, during which the relay's memory must stay
/// bounded (back-pressure reaches the container instead of a buffer growing). docs/reliability.md has the numbers.
/// </summary>
[Trait("Tier", "soak")]
[Collection("fault")]
public sealed class StdioSoakTests(ContainerdDaemon containerd) : IClassFixture<ContainerdDaemon>
{
    /// <summary>What the relay may grow by while the reader lags: far below what an unbounded buffer would take.</summary>
    private const long RssBoundBytes = 64L << 20;

    /// <summary>How much the slow reader takes, and how far the writer runs ahead of it in that time.</summary>
    private const long SlowReadBytes = 32L << 20;

    [Fact]
    public async Task One_GiB_of_stdout_arrives_byte_exact_through_the_cli_relay()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-soak");
        var id = "soak-out-" + Guid.NewGuid().ToString("N")[..6];
        using var bundle = new TestBundle(s => s.Process!.Args = ["sh", "-c", PatternStream.Command(PatternStream.OneGiB)]);
        var expected = PatternStream.ExpectedSha256(PatternStream.OneGiB);
        try
        {
            using var run = StartCli(state.Path, "run", "--bundle", bundle.Directory, id);
            var stderr = run.StandardError.ReadToEndAsync();
            var watch = Stopwatch.StartNew();
            var (bytes, sha) = await PatternStream.DigestAsync(run.StandardOutput.BaseStream);
            watch.Stop();
            await run.WaitForExitAsync();
            Report($"cli relay: {bytes} bytes in {watch.Elapsed.TotalSeconds:F1} s = {bytes / 1048576.0 / watch.Elapsed.TotalSeconds:F1} MiB/s (VM boot included)");
            Assert.True(run.ExitCode == 0, $"sandboxrt run: exit {run.ExitCode}: {await stderr}");
            Assert.Equal(PatternStream.OneGiB, bytes);
            Assert.Equal(expected, sha);
        }
        finally
        {
            await CliRun.RunAsync(["delete", "--force", id], root: state.Path);
            HostLeaks.KillEverythingUnder(state.Path);
        }
    }

    [Fact]
    public async Task One_GiB_of_stdin_arrives_byte_exact_through_the_cli_relay()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-soak");
        var id = "soak-in-" + Guid.NewGuid().ToString("N")[..6];
        using var bundle = new TestBundle(s => s.Process!.Args = ["sha256sum"]); // busybox: "DIGEST  -" once stdin ends
        try
        {
            using var run = StartCli(state.Path, "run", "--bundle", bundle.Directory, id);
            var stdout = run.StandardOutput.ReadToEndAsync();
            var stderr = run.StandardError.ReadToEndAsync();
            var watch = Stopwatch.StartNew();
            var sent = await PatternStream.WriteRandomAsync(run.StandardInput.BaseStream, PatternStream.OneGiB, seed: 13);
            run.StandardInput.Close(); // EOF must reach the container's stdin
            await run.WaitForExitAsync();
            watch.Stop();
            Report($"cli relay stdin: {PatternStream.OneGiB} bytes in {watch.Elapsed.TotalSeconds:F1} s = {PatternStream.OneGiB / 1048576.0 / watch.Elapsed.TotalSeconds:F1} MiB/s (VM boot and the guest's SHA-256 under TCG included)");
            Assert.True(run.ExitCode == 0, $"sandboxrt run: exit {run.ExitCode}: {await stderr}");
            Assert.Equal(sent.ToLowerInvariant() + "  -", (await stdout).Trim());
        }
        finally
        {
            await CliRun.RunAsync(["delete", "--force", id], root: state.Path);
            HostLeaks.KillEverythingUnder(state.Path);
        }
    }

    [Fact]
    public async Task A_slow_reader_holds_the_writer_back_and_the_relay_stays_bounded()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-soak");
        var id = "soak-slow-" + Guid.NewGuid().ToString("N")[..6];
        using var bundle = new TestBundle(s => s.Process!.Args = ["sh", "-c", $"yes {PatternStream.Line}"]);
        try
        {
            using var run = StartCli(state.Path, "run", "--bundle", bundle.Directory, id);
            var stdout = run.StandardOutput.BaseStream;
            var buffer = new byte[64 * 1024];
            // the first bytes: the container runs and its relay is up; its memory now is the baseline
            long read = await stdout.ReadAsync(buffer);
            var clients = ClientProcesses(run.Id, id);
            long baseline = clients.Sum(Rss), peak = baseline;
            while (read < SlowReadBytes)
            {
                int n = await stdout.ReadAsync(buffer);
                Assert.True(n > 0, "the container's stdout ended early");
                read += n;
                await Task.Delay(5); // the slow reader: ~64 KiB per 5 ms, far slower than `yes`
                peak = Math.Max(peak, clients.Sum(Rss));
            }
            Report($"back-pressure: read {read >> 20} MiB slowly; client and relay RSS {baseline >> 20} MiB at start, peak {peak >> 20} MiB (bound: +{RssBoundBytes >> 20} MiB)");
            Assert.True(peak - baseline < RssBoundBytes, $"RSS grew from {baseline} to {peak} bytes while the reader lagged");
            run.Kill(entireProcessTree: false);
        }
        finally
        {
            await CliRun.RunAsync(["delete", "--force", id], root: state.Path);
            HostLeaks.KillEverythingUnder(state.Path);
        }
    }

    [Fact]
    public async Task One_GiB_of_stdout_arrives_byte_exact_through_the_shim()
    {
        TestEnvironment.RequireVmPrerequisites();
        containerd.RequireRunning();
        var id = "soak-ctr-" + Guid.NewGuid().ToString("N")[..6];
        var expected = PatternStream.ExpectedSha256(PatternStream.OneGiB);
        var config = containerd.ScratchPath("qemu.json");
        if (!File.Exists(config))
            VmTestConfig.WriteFile(config);
        try
        {
            using var ctr = Process.Start(new ProcessStartInfo("ctr", ["-a", containerd.Socket, "run", "--rm", "--runtime", "io.containerd.sandboxrt.v2",
                "--runtime-config-path", config, LocalImage.Reference, id, "sh", "-c", PatternStream.Command(PatternStream.OneGiB)])
            { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true })!;
            ctr.StandardInput.Close();
            var stderr = ctr.StandardError.ReadToEndAsync();
            var watch = Stopwatch.StartNew();
            var (bytes, sha) = await PatternStream.DigestAsync(ctr.StandardOutput.BaseStream);
            watch.Stop();
            await ctr.WaitForExitAsync();
            Report($"shim (ctr run): {bytes} bytes in {watch.Elapsed.TotalSeconds:F1} s = {bytes / 1048576.0 / watch.Elapsed.TotalSeconds:F1} MiB/s (VM boot included)");
            Assert.True(ctr.ExitCode == 0, $"ctr run: exit {ctr.ExitCode}: {await stderr}");
            Assert.Equal(PatternStream.OneGiB, bytes);
            Assert.Equal(expected, sha);
        }
        finally
        {
            await containerd.Ctr("task", "kill", "-s", "9", id);
            await containerd.Ctr("task", "delete", "-f", id);
            await containerd.Ctr("container", "rm", id);
        }
    }

    private static Process StartCli(string root, params string[] args)
    {
        CliRun.RequireBinary();
        return Process.Start(new ProcessStartInfo(CliRun.Binary, [
            "--root", root, "--config", TestEnvironment.QemuConfig,
            "--config-option", $"kernel={TestEnvironment.Kernel}", "--config-option", $"initrd={TestEnvironment.Initrd}", "--config-option", $"image={TestEnvironment.Image}", .. args])
        { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true })!;
    }

    /// <summary>The `sandboxrt run` process and the relay of container <paramref name="id"/>, if it has one apart from run.</summary>
    private static List<int> ClientProcesses(int run, string id) =>
        SandboxProcesses.Relay(id) is { } relay && relay != run ? [run, relay] : [run];

    private static long Rss(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return 0;
    }

    private static void Report(string line) => TestContext.Current.TestOutputHelper?.WriteLine(line);
}
