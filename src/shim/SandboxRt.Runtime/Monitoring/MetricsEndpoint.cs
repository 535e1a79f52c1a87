using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Prometheus;

namespace SandboxRt.Runtime.Monitoring;

/// <summary>
/// GET /metrics over HTTP/1.1 on one TCP endpoint: Kestrel built by hand (no generic host), answering
/// with the registry's text exposition format. Anything else is 404; a method other than GET is 405.
/// </summary>
public sealed class MetricsEndpoint : IAsyncDisposable
{
    private readonly KestrelServer _server;
    private int _disposed;

    private MetricsEndpoint(KestrelServer server, IPEndPoint bound)
    {
        _server = server;
        EndPoint = bound;
    }

    /// <summary>Where it listens (the port Kestrel chose when asked for port 0).</summary>
    public IPEndPoint EndPoint { get; }

    public static async Task<MetricsEndpoint> StartAsync(IPEndPoint endpoint, CollectorRegistry registry, CancellationToken cancellationToken = default)
    {
        var options = new KestrelServerOptions { AddServerHeader = false };
        options.Listen(endpoint, listen => listen.Protocols = HttpProtocols.Http1);
        var server = new KestrelServer(Options.Create(options),
            new SocketTransportFactory(Options.Create(new SocketTransportOptions()), NullLoggerFactory.Instance), NullLoggerFactory.Instance);
        try
        {
            await server.StartAsync(new Application(registry), cancellationToken);
        }
        catch
        {
            server.Dispose();
            throw;
        }
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        var port = address is not null ? new Uri(address).Port : endpoint.Port;
        return new MetricsEndpoint(server, new IPEndPoint(endpoint.Address, port));
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await _server.StopAsync(grace.Token);
        }
        catch (OperationCanceledException)
        {
        }
        _server.Dispose();
    }

    private sealed class Application(CollectorRegistry registry) : IHttpApplication<HttpContext>
    {
        public HttpContext CreateContext(IFeatureCollection contextFeatures) => new DefaultHttpContext(contextFeatures);

        public void DisposeContext(HttpContext context, Exception? exception) { }

        public async Task ProcessRequestAsync(HttpContext http)
        {
            if (http.Request.Path != "/metrics")
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            if (!HttpMethods.IsGet(http.Request.Method))
            {
                http.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                return;
            }
            http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await registry.CollectAndExportAsTextAsync(http.Response.Body, http.RequestAborted);
        }
    }
}
