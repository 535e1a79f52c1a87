// The shim's side of the stats socket (PodStatsSocket says why and what it speaks). One connection at a
// time: the monitor scrapes every few seconds, and a client that floods the socket (only root can) waits
// in the backlog instead of costing the shim an agent call each. Each answer is bounded by
// AnswerTimeout, below the monitor's own bound, so a slow guest gives a partial report, not none.
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace SandboxRt.Runtime.Monitoring;

public sealed class PodStatsServer : IAsyncDisposable
{
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(3);
    private readonly Socket _listener;
    private readonly Func<CancellationToken, Task<PodStatsReport>> _collect;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    private PodStatsServer(Socket listener, Func<CancellationToken, Task<PodStatsReport>> collect, ILogger log)
    {
        _listener = listener;
        _collect = collect;
        _log = log;
    }

    public string SocketPath { get; private init; } = "";

    /// <summary>Serves <paramref name="collect"/>'s report on stats.sock in <paramref name="shimDirectory"/> (0600; a stale socket is replaced).</summary>
    public static PodStatsServer Start(string shimDirectory, Func<CancellationToken, Task<PodStatsReport>> collect, ILogger log)
    {
        var path = PodStatsSocket.PathIn(shimDirectory);
        File.Delete(path);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite); // the directory is 0700 meanwhile
            listener.Listen(8);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new IOException($"bind/listen {path}: {e.SocketErrorCode} ({e.Message})", e);
        }
        var server = new PodStatsServer(listener, collect, log) { SocketPath = path };
        server._loop = Task.Run(server.AcceptLoopAsync);
        return server;
    }

    /// <summary>Start, or null with a warning: a pod whose stats socket cannot be made still runs, unseen by the monitor.</summary>
    public static PodStatsServer? TryStart(string shimDirectory, Func<CancellationToken, Task<PodStatsReport>> collect, ILogger log)
    {
        try
        {
            return Start(shimDirectory, collect, log);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.LogWarning("stats socket in {Directory}: {Error}; `sandboxrt monitor` will not see this pod's guest statistics", shimDirectory, e.Message);
            return null;
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            using (connection)
                await AnswerAsync(connection);
        }
    }

    private async Task AnswerAsync(Socket connection)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(AnswerTimeout);
        try
        {
            var report = await _collect(timeout.Token);
            var bytes = JsonSerializer.SerializeToUtf8Bytes(report, PodStatsJsonContext.Default.PodStatsReport);
            timeout.CancelAfter(AnswerTimeout); // the write gets its own bound
            await using (var stream = new NetworkStream(connection, ownsSocket: false))
                await stream.WriteAsync(bytes, timeout.Token);
            connection.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            _log.LogDebug("stats socket {Path}: no answer sent: {Error}", SocketPath, e.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        await _loop;
        _stop.Dispose();
        try
        {
            File.Delete(SocketPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
