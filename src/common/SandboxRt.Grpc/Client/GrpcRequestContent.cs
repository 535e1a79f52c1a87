using System.Net;

namespace SandboxRt.Grpc.Client;

/// <summary>The body of a unary or server-streaming request: one framed message.</summary>
internal sealed class GrpcRequestContent : HttpContent
{
    private readonly byte[] _frame;

    public GrpcRequestContent(byte[] frame)
    {
        _frame = frame;
        Headers.TryAddWithoutValidation("content-type", Framing.GrpcHeaders.ContentType);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        stream.WriteAsync(_frame).AsTask();

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        stream.WriteAsync(_frame, cancellationToken).AsTask();

    protected override bool TryComputeLength(out long length)
    {
        length = _frame.Length;
        return true;
    }
}
