using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using SandboxRt.Grpc.Framing;

namespace SandboxRt.Grpc.Server;

/// <summary>Writes response messages and the closing status (trailers, or trailers-only headers).</summary>
internal static class ResponseWriter
{
    public static async Task WriteMessageAsync(HttpContext http, IMessage message, GrpcLimits limits, CancellationToken cancellationToken)
    {
        var frame = MessageFraming.Encode(message, limits.MaxSendMessageSize);
        if (!http.Response.HasStarted)
            await http.Response.StartAsync(cancellationToken);
        await http.Response.BodyWriter.WriteAsync(frame, cancellationToken);
    }

    /// <summary>
    /// Ends the call with <paramref name="status"/>. Before any message was sent this is a
    /// "trailers-only" response (the status travels in the HEADERS frame); afterwards it is a trailer.
    /// </summary>
    /// <paramref name="details"/>, when given, is a serialized google.rpc.Status sent as grpc-status-details-bin.
    public static void WriteStatus(HttpContext http, StatusCode status, string? detail, byte[]? details = null)
    {
        IHeaderDictionary target;
        if (!http.Response.HasStarted)
        {
            target = http.Response.Headers;
        }
        else
        {
            var trailers = http.Features.Get<IHttpResponseTrailersFeature>();
            if (trailers is null)
                return;
            target = trailers.Trailers;
        }
        target[GrpcHeaders.Status] = ((int)status).ToString();
        if (!string.IsNullOrEmpty(detail))
            target[GrpcHeaders.Message] = GrpcHeaders.EncodeMessage(detail);
        if (details is { Length: > 0 })
            target[GrpcHeaders.StatusDetails] = Convert.ToBase64String(details).TrimEnd('=');
    }
}
