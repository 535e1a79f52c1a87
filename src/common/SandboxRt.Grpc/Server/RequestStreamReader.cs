using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using SandboxRt.Grpc.Framing;

namespace SandboxRt.Grpc.Server;

/// <summary>
/// The request side of a client-streaming or duplex call: one message per read, straight from
/// Kestrel's request body pipe. Nothing is read ahead, so what the server holds for the call is at most
/// Kestrel's per-stream receive window (HTTP/2 flow control: the client may not send more until this
/// reader consumes) plus the message being parsed, which the receive limit bounds.
/// </summary>
internal sealed class RequestStreamReader<T>(HttpContext http, MessageParser<T> parser, GrpcLimits limits, CancellationToken callToken) : IServerStreamReader<T>
    where T : class, IMessage<T>
{
    private bool _ended;

    public async ValueTask<T?> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (_ended)
            return null;
        using var linked = cancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(callToken, cancellationToken)
            : null;
        var token = linked?.Token ?? callToken;
        try
        {
            var message = await MessageFraming.ReadAsync(http.Request.BodyReader, parser, limits.MaxReceiveMessageSize, token);
            _ended = message is null;
            return message;
        }
        catch (Exception e) when (e is not RpcException and not OperationCanceledException && IsReset(e, token))
        {
            // Kestrel fails a read on a reset stream with an IOException: to the handler it is a cancellation
            throw new OperationCanceledException("the client reset the stream", e, token.IsCancellationRequested ? token : http.RequestAborted);
        }
    }

    /// <summary>
    /// Whether a failed read means the client went away. Kestrel completes the body pipe with an
    /// IOException the moment RST_STREAM arrives, and cancels RequestAborted later, from the thread pool:
    /// so the IOException alone says it, not only the tokens. A malformed request
    /// (BadHttpRequestException, also an IOException) is not a reset.
    /// </summary>
    private bool IsReset(Exception e, CancellationToken token)
    {
        return token.IsCancellationRequested || http.RequestAborted.IsCancellationRequested
            || e is IOException and not BadHttpRequestException;
    }
}
