using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace SandboxRt.Grpc.Server;

/// <summary>
/// Kestrel, constructed by hand for HTTP/2 cleartext (prior knowledge) on one endpoint. No generic
/// host, DI container or configuration system: under TCG those cost seconds of start-up
/// (shared/ENVIRONMENT.md), and every sandbox start waits for this server.
/// </summary>
public sealed class GrpcKestrelServer : IAsyncDisposable
{
    private readonly KestrelServer _server;
    private int _disposed;

    private GrpcKestrelServer(KestrelServer server) => _server = server;

    /// <summary>
    /// Starts serving <paramref name="application"/> on <paramref name="endpoint"/>. Without a
    /// <paramref name="transport"/>, Kestrel's socket transport is used (TCP or Unix sockets).
    /// <paramref name="connectionMiddleware"/> runs on each new connection before HTTP/2 starts (the
    /// agent's authentication preamble); a middleware that returns without calling the next delegate
    /// closes the connection.
    /// </summary>
    public static async Task<GrpcKestrelServer> StartAsync(
        EndPoint endpoint,
        Microsoft.AspNetCore.Hosting.Server.IHttpApplication<Microsoft.AspNetCore.Http.HttpContext> application,
        IConnectionListenerFactory? transport = null,
        ILoggerFactory? loggerFactory = null,
        Func<ConnectionDelegate, ConnectionDelegate>? connectionMiddleware = null,
        CancellationToken cancellationToken = default)
    {
        loggerFactory ??= NullLoggerFactory.Instance;
        var options = new KestrelServerOptions { AddServerHeader = false };
        options.Limits.MinRequestBodyDataRate = null;
        options.Limits.MinResponseDataRate = null;
        options.Limits.MaxRequestBodySize = null;
        // Not InfiniteTimeSpan: Kestrel turns that into TimeSpan.MaxValue, and adding it to the current
        // timestamp overflows, so an idle HTTP/2 connection (between a client's requests) was closed at
        // the next heartbeat. A day is "never" for these connections.
        options.Limits.KeepAliveTimeout = TimeSpan.FromDays(1);
        options.Limits.Http2.MaxStreamsPerConnection = 1000;
        options.Limits.Http2.InitialConnectionWindowSize = 4 * 1024 * 1024;
        options.Limits.Http2.InitialStreamWindowSize = 2 * 1024 * 1024;
        options.Listen(endpoint, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            if (connectionMiddleware is not null)
                listen.Use(connectionMiddleware);
        });
        transport ??= new SocketTransportFactory(Options.Create(new SocketTransportOptions()), loggerFactory);
        var server = new KestrelServer(Options.Create(options), transport, loggerFactory);
        try
        {
            await server.StartAsync(application, cancellationToken);
        }
        catch
        {
            server.Dispose();
            throw;
        }
        return new GrpcKestrelServer(server);
    }

    public async Task StopAsync(CancellationToken cancellationToken = default) => await _server.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await _server.StopAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
        }
        _server.Dispose();
    }
}
