using Microsoft.Extensions.Logging;
using SandboxRt.Interop;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Containers;
using SandboxRt.Shim.Pods;

namespace SandboxRt.Shim.Io;

/// <summary>
/// One process's stdio between containerd and the agent: stdout and stderr copied into containerd's
/// fifos (or a file:// URI), stdin from its fifo. Output that nobody asked for is still read, and
/// dropped, so that a process never blocks on a full pipe in the guest. With a terminal there is only
/// stdout.
/// </summary>
internal sealed class ProcessStdio : IAsyncDisposable
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);
    private readonly IAgentStdio _agent;
    private readonly string _containerId;
    private readonly string _execId;
    private readonly ProcessIo _io;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Stream _stdout;
    private readonly Stream? _stderr;
    private Task _output = Task.CompletedTask;
    private FifoInput? _input;

    private ProcessStdio(IAgentStdio agent, string containerId, string execId, ProcessIo io, Stream stdout, Stream? stderr, ILogger log)
    {
        _agent = agent;
        _containerId = containerId;
        _execId = execId;
        _io = io;
        _stdout = stdout;
        _stderr = stderr;
        _log = log;
    }

    /// <summary>Opens the output destinations (failing here, naming the path, when one cannot be opened).</summary>
    public static ProcessStdio Open(IAgentStdio agent, string containerId, string execId, ProcessIo io, ILogger log)
    {
        var stdout = OpenOutput(io.Stdout);
        try
        {
            var stderr = io.Terminal ? null : OpenOutput(io.Stderr);
            return new ProcessStdio(agent, containerId, execId, io, stdout, stderr, log);
        }
        catch
        {
            stdout.Dispose();
            throw;
        }
    }

    /// <summary>Starts copying the process's output (the agent keeps what it wrote before anyone read).</summary>
    public void StartOutput()
    {
        var relay = new StdioRelay(_agent, _containerId, _execId);
        var stdout = Copy(relay, _stdout, stderr: false);
        var stderr = _stderr is null ? Task.CompletedTask : Copy(relay, _stderr, stderr: true);
        _output = Task.WhenAll(stdout, stderr);
    }

    /// <summary>Starts forwarding stdin, when the process has any.</summary>
    public void StartInput()
    {
        if (_io.Stdin.Length > 0 && _input is null)
            _input = FifoInput.Start(_io.Stdin, _agent, _containerId, _execId, _log);
    }

    /// <summary>containerd's CloseIO for stdin.</summary>
    public void CloseInput() => _input?.RequestClose();

    /// <summary>Waits (bounded) for the output to reach its end after the process exited.</summary>
    public async Task DrainAsync()
    {
        if (await Task.WhenAny(_output, Task.Delay(DrainTimeout)) != _output)
        {
            _log.LogWarning("output of {Id}/{Exec} did not end {Seconds} s after the process exited (a child still holds it?); dropping the rest",
                _containerId, _execId, DrainTimeout.TotalSeconds);
            _stop.Cancel();
        }
        await Quietly(_output);
    }

    public async ValueTask DisposeAsync()
    {
        _input?.Stop();
        _stop.Cancel();
        await Quietly(_output);
        _stdout.Dispose();
        _stderr?.Dispose();
    }

    private Task Copy(StdioRelay relay, Stream destination, bool stderr) =>
        relay.CopyOutputAsync(destination, stderr, _stop.Token).ContinueWith(t =>
        {
            if (t.IsFaulted && !_stop.IsCancellationRequested)
                _log.LogDebug("{Stream} of {Id}/{Exec}: {Error}", stderr ? "stderr" : "stdout", _containerId, _execId, t.Exception?.InnerException?.Message);
        }, TaskScheduler.Default);

    /// <summary>
    /// A fifo is opened read-write, as the runc shim keeps a reader of its own: the open cannot block, and
    /// output is not lost with EPIPE while containerd restarts and has no reader on it.
    /// </summary>
    private static Stream OpenOutput(string target)
    {
        if (target.Length == 0)
            return Stream.Null;
        if (target.StartsWith("file://", StringComparison.Ordinal))
            return new FileStream(new Uri(target).LocalPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
        if (target.Contains("://", StringComparison.Ordinal))
            throw new NotSupportedException($"stdio URI '{target}': only fifos and file:// are supported (no binary:// loggers)");
        return FileDescriptors.ToStream(FileDescriptors.Open(target, FileDescriptors.ReadWrite), FileAccess.Write);
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception e) when (e is OperationCanceledException or AgentException or IOException)
        {
        }
    }
}
