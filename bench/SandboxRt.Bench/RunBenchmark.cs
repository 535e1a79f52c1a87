using System.Diagnostics;

namespace SandboxRt.Bench;

/// <summary>
/// `sandboxrt run` of /bin/true against `runc run` of the same bundle and the bare-VM floor, interleaved
/// run by run (the order rotates) so that the machine's noise hits all three alike. A run whose exit
/// status is not 0 is counted as failed, not timed.
/// </summary>
internal sealed class RunBenchmark(string sandboxrt, string configPath, string kernel, string initrd, string bundle, BootBenchmark floor)
{
    public Sample Sandboxrt { get; } = new("sandboxrt run /bin/true (wall)");
    public Sample Runc { get; } = new("runc run /bin/true (wall)");

    public async Task RunAsync(int runs)
    {
        for (int i = 0; i < runs; i++)
        {
            Func<Task>[] steps = [() => floor.RunFloorAsync(1000 + i), () => TimeAsync(Sandboxrt, SandboxrtCommand(i)), () => TimeAsync(Runc, RuncCommand(i))];
            for (int k = 0; k < steps.Length; k++)
                await steps[(i + k) % steps.Length]();
            Console.Error.WriteLine($"  run {i + 1}/{runs}: floor {Last(floor.Floor)} ms, sandboxrt {Last(Sandboxrt)} ms, runc {Last(Runc)} ms");
        }
    }

    private (string, string[]) SandboxrtCommand(int i) =>
        (sandboxrt, ["--root", "/run/sandboxrt-bench", "--config", configPath, "--config-option", $"kernel={kernel}", "--config-option", $"initrd={initrd}",
                     "run", "--bundle", bundle, $"bench-{Environment.ProcessId}-{i}"]);

    private (string, string[]) RuncCommand(int i) =>
        ("runc", ["--root", "/run/runc-bench", "run", "--bundle", bundle, $"bench-runc-{Environment.ProcessId}-{i}"]);

    private static async Task TimeAsync(Sample sample, (string File, string[] Args) command)
    {
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(new ProcessStartInfo(command.File, command.Args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        })!;
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var elapsed = watch.Elapsed.TotalMilliseconds;
        if (process.ExitCode == 0)
            sample.Add(elapsed);
        else
        {
            sample.Fail();
            Console.Error.WriteLine($"  {command.File} failed with {process.ExitCode}: {(await stderr).Trim()}");
        }
    }

    private static string Last(Sample s) => s.Values.Count == 0 ? "failed" : s.Values[^1].ToString("F0");
}
