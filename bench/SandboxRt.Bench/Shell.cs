using System.Diagnostics;

namespace SandboxRt.Bench;

/// <summary>
/// Runs a command for the benchmarks: its exit code, output, and wall time. Every command has a time
/// limit: one that hangs is killed (with its process group) and reported as failed (exit -1, "timed
/// out"), so a stuck run never stalls the whole benchmark and is never counted as a time.
/// </summary>
internal static class Shell
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    public readonly record struct Result(int Exit, string Stdout, string Stderr, double Ms)
    {
        public string Output => Stdout + Stderr;
    }

    public static Task<Result> RunAsync(string file, params string[] args) => RunAsync(file, args, capture: true);

    /// <summary>
    /// With <paramref name="capture"/> false, stdout and stderr are inherited: for verbs that leave a
    /// process behind that keeps them open (a detached container or its relay), which would never end a capture.
    /// </summary>
    public static async Task<Result> RunAsync(string file, string[] args, bool capture)
    {
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(new ProcessStartInfo(file, args)
        {
            RedirectStandardOutput = capture,
            RedirectStandardError = capture,
            RedirectStandardInput = true,
        })!;
        process.StandardInput.Close();
        var stdout = capture ? process.StandardOutput.ReadToEndAsync() : Task.FromResult("");
        var stderr = capture ? process.StandardError.ReadToEndAsync() : Task.FromResult("");
        try
        {
            await process.WaitForExitAsync().WaitAsync(Limit);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return new Result(-1, "", $"{file} {string.Join(' ', args)}: timed out after {Limit.TotalSeconds:F0} s and was killed", watch.Elapsed.TotalMilliseconds);
        }
        double ms = watch.Elapsed.TotalMilliseconds;
        return new Result(process.ExitCode, await stdout, await stderr, ms);
    }

    /// <summary>Times a command into <paramref name="sample"/>; a non-zero exit is a failure, never a time. Returns the result.</summary>
    public static async Task<Result> TimeAsync(Sample sample, string file, params string[] args)
    {
        var result = await RunAsync(file, args);
        if (result.Exit == 0)
            sample.Add(result.Ms);
        else
        {
            sample.Fail();
            Console.Error.WriteLine($"  {file} {string.Join(' ', args.Take(6))}... failed with {result.Exit}: {result.Output.Trim()}");
        }
        return result;
    }
}
