using System.Net;

namespace SandboxRt.Grpc.Server;

/// <summary>
/// A request body for the proxy that passes each chunk upstream as soon as it arrives, flushing after
/// every write. With StreamContent (no flush until the body ends), `sandboxrt exec`'s stdin stream
/// through the relay, over the guest channel, never got the agent's answer to its first message
/// (StreamStdin's handshake) and hung; with this it passes (StdinStreamTests). Over a plain Unix socket
/// the hang did not show, so which layer held the bytes is not pinned down.
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
