using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.Monitoring;

/// <summary>A `sandboxrt monitor --listen 127.0.0.1:0` the test started (stopped by SIGTERM at dispose), its /metrics URL, and how to read samples.</summary>
internal sealed class MonitorProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private MonitorProcess(Process process, string url)
    {
        _process = process;
        Url = url;
    }

    public string Url { get; }

    /// <summary>How the monitor ended (after dispose).</summary>
    public int? ExitCode { get; private set; }

    /// <summary>Starts the monitor with the global --root <paramref name="root"/> and <paramref name="args"/> after `monitor`, once it serves.</summary>
    public static async Task<MonitorProcess> StartAsync(string root, params string[] args)
    {
        var process = Process.Start(new ProcessStartInfo(CliRun.Binary, ["--root", root, "monitor", "--listen", "127.0.0.1:0", .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        // "sandboxrt monitor: serving http://127.0.0.1:PORT/metrics for ROOT and the pods under DIR"
        var banner = await process.StandardOutput.ReadLineAsync() ?? throw new Xunit.Sdk.XunitException("monitor exited: " + await process.StandardError.ReadToEndAsync());
        var url = Regex.Match(banner, @"http://\S+/metrics").Value;
        Assert.False(string.IsNullOrEmpty(url), banner);
        return new MonitorProcess(process, url);
    }

    public Task<string> ScrapeAsync() => _http.GetStringAsync(Url);

    /// <summary>Runs `promtool check metrics` on an exposition and asserts it passes.</summary>
    public static async Task AssertPromtoolAcceptsAsync(string promtool, string text)
    {
        var check = await Command.RunAsync("/bin/sh", ["-c", $"'{promtool}' check metrics"], stdin: text);
        Assert.True(check.ExitCode == 0, "promtool check metrics: " + check.Stdout + check.Stderr);
    }

    /// <summary>The value of one sample line ("NAME{LABELS} VALUE") of the text exposition.</summary>
    public static double Value(string text, string series)
    {
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"no sample {series} in:\n{text}");
        return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
            SandboxRt.Interop.ChildProcesses.Signal(_process.Id, 15);
        await _process.WaitForExitAsync();
        ExitCode = _process.ExitCode;
        _http.Dispose();
        _process.Dispose();
    }
}
