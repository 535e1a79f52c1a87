using System.Diagnostics;

namespace SandboxRt.Bench;

/// <summary>Runs a command for the benchmarks: its exit code, output, and wall time.</summary>
internal static class Shell
{
    public static async Task<(int Exit, string Output, double Ms)> RunAsync(string file, params string[] args)
    {
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(new ProcessStartInfo(file, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        })!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, (await stdout) + (await stderr), watch.Elapsed.TotalMilliseconds);
    }

    /// <summary>Times a command into <paramref name="sample"/>; a non-zero exit is a failure, never a time.</summary>
    public static async Task TimeAsync(Sample sample, string file, params string[] args)
    {
        var (exit, output, ms) = await RunAsync(file, args);
        if (exit == 0)
            sample.Add(ms);
        else
        {
            sample.Fail();
            Console.Error.WriteLine($"  {file} {string.Join(' ', args.Take(6))}... failed with {exit}: {output.Trim()}");
        }
    }
}
