using System.Diagnostics;

namespace SandboxRt.IntegrationTests.Support;

/// <summary>Runs a host command (a client: ctr, docker, podman...) and collects its output.</summary>
public sealed record Command(int ExitCode, string Stdout, string Stderr)
{
    public static async Task<Command> RunAsync(string file, IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file, args)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
            info.Environment[k] = v;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
            await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in time; stderr so far: {(stderr.IsCompleted ? stderr.Result : "")}");
        }
        var result = new Command(process.ExitCode, await stdout, await stderr);
        TestContext.Current.TestOutputHelper?.WriteLine($"$ {Path.GetFileName(file)} {string.Join(' ', args)}\n  exit {result.ExitCode}\n  stdout: {Trim(result.Stdout)}\n  stderr: {Trim(result.Stderr)}");
        return result;
    }

    public Command Ok()
    {
        Assert.True(ExitCode == 0, $"expected exit 0, got {ExitCode}: {Stderr}");
        return this;
    }

    private static string Trim(string s) => s.Length > 2000 ? s[..2000] + "..." : s.TrimEnd();
}
