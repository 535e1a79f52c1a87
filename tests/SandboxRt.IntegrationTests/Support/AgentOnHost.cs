using System.Diagnostics;
using SandboxRt.Runtime.Channels;

namespace SandboxRt.IntegrationTests.Support;

/// <summary>
/// The real NativeAOT agent binary serving on a Unix socket of this host (sandboxrt-agent serve), with an
/// agent token of its own (--token-file): callers go through <see cref="Connector"/>, which sends it first.
/// </summary>
public sealed class AgentOnHost : IAsyncLifetime
{
    private Process? _process;
    private readonly ScratchDirectory _dir = new("srt-agent");

    public string SocketPath => _dir.Combine("agent.sock");

    /// <summary>The token the agent was started with (its file is <see cref="AgentToken.FilePath"/>).</summary>
    public AgentToken Token { get; private set; } = null!;

    /// <summary>An authenticated connection to the agent, as the runtime makes them.</summary>
    public IAgentConnector Connector => new AuthenticatingConnector(new UnixSocketConnector(SocketPath), Token);

    public string? SkipReason { get; private set; }

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(TestEnvironment.AgentBinary))
        {
            SkipReason = $"needs the NativeAOT agent (make build): {TestEnvironment.AgentBinary} is missing";
            return;
        }
        Token = AgentToken.Create(_dir.Path);
        _process = Process.Start(new ProcessStartInfo(TestEnvironment.AgentBinary, ["serve", "--listen", "unix:" + SocketPath, "--token-file", Token.FilePath])
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
