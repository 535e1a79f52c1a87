using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using System.Net;
using SandboxRt.Grpc.Framing;

namespace SandboxRt.Grpc.Server;

/// <summary>
/// A transparent gRPC proxy: every request that arrives is sent on as it is (path, metadata, body) over
/// one upstream channel, and the response, streamed messages and trailers come back unchanged. It lets
/// several host processes share a guest channel that takes one client at a time (virtio-serial): the
/// process that owns the connection serves this on a Unix socket for the others. <paramref name="upstream"/>
/// is the HTTP/2 handler under that process's own gRPC channel, so both share its one connection.
/// </summary>
public sealed class GrpcProxyApplication(HttpMessageInvoker upstream, Uri baseAddress) : IHttpApplication<HttpContext>
{
    private static readonly HashSet<string> SkippedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "host", "connection", "content-length", "transfer-encoding", "keep-alive", "upgrade", "proxy-connection",
    };

    public HttpContext CreateContext(IFeatureCollection contextFeatures) => new DefaultHttpContext(contextFeatures);

    public void DisposeContext(HttpContext context, Exception? exception) { }

    public async Task ProcessRequestAsync(HttpContext http)
    {
        var cancel = http.RequestAborted;
        var request = new HttpRequestMessage(new HttpMethod(http.Request.Method), new Uri(baseAddress, http.Request.Path.Value))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new FlushingStreamContent(http.Request.Body),
        };
        foreach (var (name, values) in http.Request.Headers)
        {
            if (name.StartsWith(':') || SkippedHeaders.Contains(name))
                continue;
            if (!request.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values!))
                request.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values!);
        }

        HttpResponseMessage response;
        try
        {
            response = await upstream.SendAsync(request, cancel);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
        {
            if (cancel.IsCancellationRequested)
                return;
            http.Response.ContentType = GrpcHeaders.ContentType;
            ResponseWriter.WriteStatus(http, StatusCode.Unavailable, "proxy: the agent is unreachable: " + e.Message);
            return;
        }
        using (response)
        {
            http.Response.StatusCode = (int)response.StatusCode;
            CopyHeaders(response.Headers, http.Response.Headers);
            CopyHeaders(response.Content.Headers, http.Response.Headers);
            // the headers go on at once: a streaming call's client may wait for them before it sends (StreamStdin)
            try
            {
                await http.Response.StartAsync(cancel);
                await http.Response.Body.FlushAsync(cancel);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                http.Abort();
                return;
            }
            await using var body = await response.Content.ReadAsStreamAsync(cancel);
            var buffer = new byte[64 * 1024];
            try
            {
                int n;
                while ((n = await body.ReadAsync(buffer, cancel)) > 0)
                {
                    await http.Response.Body.WriteAsync(buffer.AsMemory(0, n), cancel);
                    await http.Response.Body.FlushAsync(cancel);
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                http.Abort();
                return;
            }
            if (http.Features.Get<IHttpResponseTrailersFeature>() is { } trailers)
                CopyHeaders(response.TrailingHeaders, trailers.Trailers);
        }
    }

    private static void CopyHeaders(HttpHeaders from, IHeaderDictionary to)
    {
        foreach (var (name, values) in from)
            if (!SkippedHeaders.Contains(name))
                to[name] = values.ToArray();
    }
}
