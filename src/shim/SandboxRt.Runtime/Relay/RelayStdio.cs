using Microsoft.Extensions.Logging;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Containers;

namespace SandboxRt.Runtime.Relay;

/// <summary>
/// A relay's stdio: the descriptors it inherited from its caller (fifos or pipes from containerd,
/// conmon or Docker), or a host terminal for --console-socket. Output flows from the agent, input to it.
/// </summary>
internal sealed class RelayStdio : IAsyncDisposable
{
    private readonly StdioRelay _relay;
    private readonly HostTerminal? _terminal;
    private readonly WindowSizeForwarder? _resize;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _stdout;
    private readonly Task _stderr;

    private RelayStdio(IAgentStdio agent, string id, string execId, Stream stdin, Stream stdout, Stream? stderr, HostTerminal? terminal, ILogger log)
    {
        _relay = new StdioRelay(agent, id, execId);
        _terminal = terminal;
        _stdout = _relay.CopyOutputAsync(stdout, stderr: false, _stop.Token);
        _stderr = stderr is null ? Task.CompletedTask : _relay.CopyOutputAsync(stderr, stderr: true, _stop.Token);
        _ = _relay.CopyInputAsync(stdin, _stop.Token).ContinueWith(t => log.LogDebug("stdin relay: {Error}", t.Exception?.InnerException?.Message), TaskContinuationOptions.OnlyOnFaulted);
        if (terminal is not null)
            _resize = WindowSizeForwarder.Start(agent, id, terminal.Slave, execId);
    }

    /// <summary>The relay's own stdio (the descriptors it inherited), or a host terminal sent over <paramref name="consoleSocket"/>.</summary>
    public static RelayStdio Attach(IAgentStdio agent, string id, string execId, string? consoleSocket, ILogger log)
    {
        if (consoleSocket is null)
            return new(agent, id, execId, Console.OpenStandardInput(), Console.OpenStandardOutput(), Console.OpenStandardError(), terminal: null, log);
        var terminal = HostTerminal.Create(consoleSocket);
        return new(agent, id, execId, terminal.Input, terminal.Output, stderr: null, terminal, log);
    }

    /// <summary>Given streams instead of descriptors (the unit tests' stdio).</summary>
    public static RelayStdio Over(IAgentStdio agent, string id, string execId, Stream stdin, Stream stdout, Stream stderr, ILogger log) =>
        new(agent, id, execId, stdin, stdout, stderr, terminal: null, log);

    /// <summary>Waits (bounded) for the output to end after the process exited.</summary>
    public Task DrainAsync(TimeSpan timeout) => StdioRelay.DrainAsync(_stdout, _stderr, timeout, _stop);

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _resize?.Dispose();
        _terminal?.Dispose();
        return ValueTask.CompletedTask;
    }
}
