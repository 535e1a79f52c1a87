using System.Diagnostics;
using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.Containers;

/// <summary>
/// `sandboxrt run` started the way a script starts a background job (SIGINT and SIGQUIT ignored, as
/// `cmd &amp;` in sh does) still forwards those signals to the container's init, as runc does (Go's
/// signal.Notify takes an ignored signal back; .NET keeps it ignored unless we reset it first).
/// </summary>
[Trait("Tier", "vm")]
public sealed class IgnoredSignalTests
{
    [Theory]
    [InlineData("INT", 2)]
    [InlineData("QUIT", 3)]
    public async Task A_run_started_with_the_signal_ignored_still_forwards_it_to_the_containers_init(string name, int number)
    {
        TestEnvironment.RequireVmPrerequisites();
        CliRun.RequireBinary();
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s => s.Process!.Args = ["sh", "-c", $"trap 'echo got-{name}; exit 5' {name}; echo ready; while true; do sleep 0.1; done"]);
        var id = "sig-" + Guid.NewGuid().ToString("N")[..8];
        string[] cli = [CliRun.Binary, "--root", state.Path, "--config", TestEnvironment.QemuConfig,
            "--config-option", $"kernel={TestEnvironment.Kernel}", "--config-option", $"initrd={TestEnvironment.Initrd}", "--config-option", $"image={TestEnvironment.Image}", "run", "--bundle", bundle.Directory, id];
        // sh ignores the signal, then becomes sandboxrt (exec keeps the pid and the ignored disposition)
        using var process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", $"trap '' {name}; exec \"$@\"", "sh", .. cli])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
        })!;
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            Assert.Equal("ready", await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120)));
            Assert.DoesNotContain(number, SignalsIgnoredBy(process.Id));
            Assert.True(SandboxRt.Interop.ChildProcesses.Signal(process.Id, number));
            var rest = await process.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Contains($"got-{name}", rest);
            Assert.Equal(5, process.ExitCode);
            LeakCheck.AssertNothingLeft(state.Path, id);
        }
        finally
        {
            if (!process.HasExited)
            {
                TestContext.Current.TestOutputHelper?.WriteLine($"sandboxrt run did not exit after SIG{name}; killing it and its VM");
                process.Kill();
                HostLeaks.KillEverythingUnder(state.Path);
            }
            TestContext.Current.TestOutputHelper?.WriteLine(await stderr.WaitAsync(TimeSpan.FromSeconds(30)));
        }
    }

    /// <summary>The signals /proc/PID/status lists as ignored (SigIgn).</summary>
    private static List<int> SignalsIgnoredBy(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("SigIgn:"));
        ulong mask = Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16);
        return [.. Enumerable.Range(1, 64).Where(s => (mask & (1UL << (s - 1))) != 0)];
    }
}
