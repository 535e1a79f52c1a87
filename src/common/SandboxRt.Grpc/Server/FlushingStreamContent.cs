using System.Net;

namespace SandboxRt.Grpc.Server;

/// <summary>
/// A request body for the proxy that passes each chunk upstream as soon as it arrives. StreamContent
/// does not flush between writes, and SocketsHttpHandler holds HTTP/2 DATA frames until a flush or the
/// end of the body: a streaming call's first message then never left the proxy, while its client
/// waited for the agent's answer to it (StreamStdin's handshake).
/// </summary>
internal sealed class FlushingStreamContent(Stream source) : HttpContent
{
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await stream.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
            await stream.FlushAsync(cancellationToken);
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
