using System.Diagnostics;
using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.Faults;

/// <summary>
/// A client call (sandboxrt create/exec/delete, ctr run/exec) left running while a fault strikes. Its
/// stdout and stderr go to files, not pipes: a relay the call starts inherits them, and a pipe read to its
/// end would wait for the relay too.
/// </summary>
internal sealed class RunningClient : IDisposable
{
    private readonly ScratchDirectory _dir = new("srt-client");
    private readonly Process _process;
    private readonly string _display;

    private RunningClient(string file, IReadOnlyList<string> args)
    {
        _display = Path.GetFileName(file) + " " + string.Join(' ', args);
        var quoted = string.Join(' ', args.Prepend(file).Select(a => "'" + a.Replace("'", "'\\''") + "'"));
        _process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", $"exec {quoted} </dev/null >'{_dir.Combine("out")}' 2>'{_dir.Combine("err")}'"]))!;
    }

    public static RunningClient Start(string file, params string[] args) => new(file, args);

    /// <summary>`sandboxrt ARGS` with the test's --root and hypervisor config.</summary>
    public static RunningClient Cli(string root, params string[] args) => new(CliRun.Binary,
    [
        "--root", root, "--config", TestEnvironment.QemuConfig,
        "--config-option", $"kernel={TestEnvironment.Kernel}", "--config-option", $"initrd={TestEnvironment.Initrd}", "--config-option", $"image={TestEnvironment.Image}", .. args,
    ]);

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Stdout => Read("out");
    public string Stderr => Read("err");

    public Task WaitForOutputAsync(string text) =>
        Condition.WaitAsync(() => Stdout.Contains(text) || _process.HasExited, $"\"{text}\" from {_display}", TimeSpan.FromSeconds(120));

    /// <summary>The exit status, or a failure naming the call when it does not end within <paramref name="bound"/> (a hang).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan bound)
    {
        using var cts = new CancellationTokenSource(bound);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"{_display} did not end within {bound.TotalSeconds} s after the fault; stderr: {Stderr}");
        }
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill();
        _process.Dispose();
        _dir.Dispose();
    }

    private string Read(string name)
    {
        try
        {
            return File.ReadAllText(_dir.Combine(name));
        }
        catch (IOException)
        {
            return "";
        }
    }
}
