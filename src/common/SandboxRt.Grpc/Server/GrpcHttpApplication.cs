using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SandboxRt.Grpc.Framing;

namespace SandboxRt.Grpc.Server;

/// <summary>
/// Kestrel's request callback for gRPC: validates the request line, routes by path, applies the
/// grpc-timeout deadline, runs the handler and closes the call with a status. Exceptions become
/// status codes here and only here, through <see cref="MapException"/>.
/// </summary>
public sealed class GrpcHttpApplication : IHttpApplication<HttpContext>
{
    private readonly GrpcServiceTable _services;
    private readonly GrpcLimits _limits;
    private readonly ILogger _log;

    public GrpcHttpApplication(GrpcServiceTable services, GrpcLimits? limits = null, ILogger? log = null)
    {
        _services = services;
        _limits = limits ?? GrpcLimits.Default;
        _log = log ?? NullLogger.Instance;
    }

    /// <summary>
    /// Maps a handler's exception to a status. <see cref="RpcException"/> keeps its own status; the
    /// default turns everything else into UNKNOWN with the exception's message.
    /// </summary>
    public Func<Exception, (StatusCode Status, string Detail)> MapException { get; init; } =
        e => (StatusCode.Unknown, e.Message);

    /// <summary>
    /// A serialized google.rpc.Status for an exception that a client should tell apart by more than its
    /// code (sent as grpc-status-details-bin), or null; none by default.
    /// </summary>
    public Func<Exception, byte[]?> StatusDetailsOf { get; init; } = _ => null;

    public HttpContext CreateContext(IFeatureCollection contextFeatures) => new DefaultHttpContext(contextFeatures);

    public void DisposeContext(HttpContext context, Exception? exception) { }

    public async Task ProcessRequestAsync(HttpContext http)
    {
        var request = http.Request;
        if (!HttpMethods.IsPost(request.Method))
        {
            http.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }
        if (request.ContentType is not { } contentType || !contentType.StartsWith(GrpcHeaders.ContentType, StringComparison.OrdinalIgnoreCase))
        {
            http.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }
        http.Response.ContentType = GrpcHeaders.ContentType;
        var path = request.Path.Value ?? string.Empty;

        var encoding = request.Headers[GrpcHeaders.Encoding].ToString();
        if (encoding.Length > 0 && encoding != "identity")
        {
            http.Response.Headers[GrpcHeaders.AcceptEncoding] = "identity";
            ResponseWriter.WriteStatus(http, StatusCode.Unimplemented, $"Message encoding '{encoding}' is not supported");
            return;
        }

        var method = _services.Find(path);
        if (method is null)
        {
            ResponseWriter.WriteStatus(http, StatusCode.Unimplemented, $"Method not found: {path}");
            return;
        }

        DateTime? deadline = null;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        using var expiry = new CancellationTokenSource(); // cancelled by the deadline's timer alone
        using var forward = expiry.Token.Register(static state => ((CancellationTokenSource)state!).Cancel(), cts);
        var timeoutHeader = request.Headers[GrpcTimeout.HeaderName].ToString();
        if (timeoutHeader.Length > 0)
        {
            if (!GrpcTimeout.TryParse(timeoutHeader, out var timeout))
            {
                ResponseWriter.WriteStatus(http, StatusCode.Internal, $"Malformed grpc-timeout '{timeoutHeader}'");
                return;
            }
            deadline = DateTime.UtcNow + timeout;
            expiry.CancelAfter(timeout);
        }

        var call = new ServerCallContext(http, path, deadline, cts.Token);
        StatusCode status;
        string? detail = null;
        byte[]? details = null;
        try
        {
            await method.InvokeAsync(http, call, _limits);
            status = StatusCode.OK;
        }
        catch (Exception) when (http.RequestAborted.IsCancellationRequested)
        {
            return; // the client reset the stream (RST_STREAM) or went away: nobody is listening for a status
        }
        catch (OperationCanceledException) when (expiry.IsCancellationRequested)
        {
            // the deadline's own timer, not a clock comparison: a timer that fires a little before
            // DateTime.UtcNow reaches the deadline made this INTERNAL once (CI, GrpcLayerTests)
            (status, detail) = (StatusCode.DeadlineExceeded, "Deadline exceeded");
        }
        catch (RpcException e)
        {
            (status, detail) = (e.Status, e.Detail);
        }
        catch (Exception e)
        {
            (status, detail) = MapException(e);
            details = StatusDetailsOf(e);
            if (status is StatusCode.Unknown or StatusCode.Internal)
                _log.LogWarning("{Method} failed: {Error}", path, e.ToString());
        }
        if (status != StatusCode.OK)
            _log.LogDebug("{Method} -> {Status}: {Detail}", path, status, detail);
        ResponseWriter.WriteStatus(http, status, detail, details);
    }
}
