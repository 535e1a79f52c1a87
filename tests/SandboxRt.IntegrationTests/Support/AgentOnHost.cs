using System.Diagnostics;

namespace SandboxRt.IntegrationTests.Support;

/// <summary>The real NativeAOT agent binary serving on a Unix socket of this host (sandboxrt-agent serve).</summary>
public sealed class AgentOnHost : IAsyncLifetime
{
    private Process? _process;
    private readonly ScratchDirectory _dir = new("srt-agent");

    public string SocketPath => _dir.Combine("agent.sock");

    public string? SkipReason { get; private set; }

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(TestEnvironment.AgentBinary))
        {
            SkipReason = $"needs the NativeAOT agent (make build): {TestEnvironment.AgentBinary} is missing";
            return;
        }
        _process = Process.Start(new ProcessStartInfo(TestEnvironment.AgentBinary, ["serve", "--listen", "unix:" + SocketPath])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!File.Exists(SocketPath))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"the agent did not start serving on {SocketPath} (exit: {(_process.HasExited ? _process.ExitCode : "still running")})");
            await Task.Delay(20);
        }
    }

    public void RequireRunning()
    {
        if (SkipReason is not null)
            TestEnvironment.Skip(SkipReason);
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        _dir.Dispose();
    }
}
