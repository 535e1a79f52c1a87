using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SandboxRt.Interop;
using SandboxRt.Ttrpc.Server;

namespace SandboxRt.Ttrpc;

/// <summary>
/// Serves a <see cref="TtrpcServiceTable"/> on a listening Unix socket until <see cref="StopAsync"/>.
/// Each accepted connection gets its own receive loop (<see cref="ServerConnection"/>).
/// </summary>
public sealed class TtrpcServer : IAsyncDisposable
{
    private const UnixFileMode SocketMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private static readonly TimeSpan LongestBackoff = TimeSpan.FromSeconds(1);

    private readonly Socket _listener;
    private readonly string? _ownedSocketPath;
    private readonly TtrpcServiceTable _services;
    private readonly ILogger _log;
    private readonly PeerCredentials _self = PeerCredentials.Self;
    private readonly CancellationTokenSource _stopping = new();
    private readonly HashSet<ServerConnection> _connections = [];
    private readonly Lock _gate = new();
    private Task _acceptLoop = Task.CompletedTask;
    private Task? _stopped;

    private TtrpcServer(Socket listener, string? ownedSocketPath, TtrpcServiceTable services, ILogger? logger)
    {
        _listener = listener;
        _ownedSocketPath = ownedSocketPath;
        _services = services;
        _log = logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// Only peers with this process's effective uid and gid may connect (SO_PEERCRED), as ttrpc's
    /// UnixSocketRequireSameUser handshake. On by default, so that no connection is accepted unchecked
    /// before a caller could set it; set it to false right after <see cref="Listen"/> to allow anyone
    /// the socket file's mode lets in.
    /// </summary>
    public bool RequireSameUser { get; set; } = true;

    /// <summary>
    /// Creates a Unix socket at <paramref name="socketPath"/> ("/path" or "unix:///path"), mode 0600,
    /// and serves <paramref name="table"/> on it. A stale socket file left by a dead server is removed
    /// first; a live one, or a file that is not a socket, is an error. The file goes away on stop.
    /// </summary>
    public static TtrpcServer Listen(string socketPath, TtrpcServiceTable table, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        var path = UnixSocketAddress.ToPath(socketPath);
        UnixSocketFile.CreateDirectory(path);
        UnixSocketFile.ClearStale(path);

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        bool bound = false;
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            bound = true;
            // Before listen(): nobody can connect while the file still has the umask's mode.
            File.SetUnixFileMode(path, SocketMode);
            socket.Listen();
        }
        catch (Exception e)
        {
            socket.Dispose();
            if (bound)
                UnixSocketFile.TryDelete(path);
            if (e is SocketException se)
                throw new IOException($"ttrpc: {(bound ? "listen" : "bind")}(\"{path}\"): {se.SocketErrorCode}: {se.Message}", se);
            throw;
        }
        return Start(socket, path, table, logger);
    }

    /// <summary>
    /// Serves <paramref name="table"/> on a socket that is already bound and listening. The server owns
    /// the socket from now on and closes it on stop; it removes no file.
    /// </summary>
    public static TtrpcServer Serve(Socket listeningSocket, TtrpcServiceTable table, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(listeningSocket);
        ArgumentNullException.ThrowIfNull(table);
        return Start(listeningSocket, null, table, logger);
    }

    /// <summary>
    /// Closes the listener and every connection (cancelling running handlers), waits for the receive
    /// loops to end and removes the socket file <see cref="Listen"/> created. Idempotent.
    /// </summary>
    public Task StopAsync()
    {
        // Started on the pool so that nothing it runs inline happens under the lock.
        lock (_gate)
            return _stopped ??= Task.Run(StopCoreAsync);
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private static TtrpcServer Start(Socket listener, string? ownedPath, TtrpcServiceTable table, ILogger? logger)
    {
        table.MarkServing();
        var server = new TtrpcServer(listener, ownedPath, table, logger);
        server._acceptLoop = Task.Run(server.AcceptLoopAsync);
        return server;
    }

    private async Task StopCoreAsync()
    {
        _stopping.Cancel();
        _listener.Dispose();
        await _acceptLoop;

        ServerConnection[] open;
        lock (_gate)
            open = [.. _connections];
        foreach (var connection in open)
            await connection.CloseAsync();
        await Task.WhenAll(open.Select(c => c.Completion));

        if (_ownedSocketPath is not null && UnixSocketFile.TryDelete(_ownedSocketPath) is { } error)
            _log.LogWarning(error, "ttrpc: could not remove the socket {Path}", _ownedSocketPath);
    }

    /// <summary>
    /// Accepts until stopped; never faults. Socket errors (EMFILE and the like) are logged and retried
    /// with Go's backoff, doubling up to 1 s.
    /// </summary>
    private async Task AcceptLoopAsync()
    {
        var backoff = TimeSpan.Zero;
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                backoff = backoff == TimeSpan.Zero ? TimeSpan.FromMilliseconds(1) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, LongestBackoff.Ticks));
                _log.LogError(e, "ttrpc: failed accept; backoff {Backoff}", backoff);
                try
                {
                    await Task.Delay(backoff, _stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            catch (Exception e)
            {
                _log.LogError(e, "ttrpc: accept loop failed; no longer accepting connections");
                return;
            }
            backoff = TimeSpan.Zero;
            Admit(socket);
        }
    }

    private void Admit(Socket socket)
    {
        string peer;
        try
        {
            var credentials = PeerCredentials.Read(socket);
            peer = credentials.ToString();
            if (RequireSameUser && !credentials.IsSameUserAs(_self))
            {
                _log.LogWarning("ttrpc: refusing connection from {Peer}: invalid credentials (want uid {Uid} gid {Gid})", peer, _self.Uid, _self.Gid);
                socket.Dispose();
                return;
            }
        }
        catch (IOException e)
        {
            _log.LogWarning(e, "ttrpc: refusing connection: {Error}", e.Message);
            socket.Dispose();
            return;
        }

        var connection = new ServerConnection(new NetworkStream(socket, ownsSocket: true), _services, _log, peer);
        lock (_gate)
            _connections.Add(connection);
        connection.Start(Forget);
    }

    private void Forget(ServerConnection connection)
    {
        lock (_gate)
            _connections.Remove(connection);
    }
}
