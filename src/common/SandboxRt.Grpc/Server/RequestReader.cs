using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using SandboxRt.Grpc.Framing;

namespace SandboxRt.Grpc.Server;

internal static class RequestReader
{
    /// <summary>Reads the one request message of a unary or server-streaming call.</summary>
    public static async Task<T> ReadSingleAsync<T>(HttpContext http, MessageParser<T> parser, GrpcLimits limits, CancellationToken cancellationToken)
        where T : class, IMessage<T>
    {
        var reader = http.Request.BodyReader;
        var message = await MessageFraming.ReadAsync(reader, parser, limits.MaxReceiveMessageSize, cancellationToken)
            ?? throw new RpcException(StatusCode.Internal, "Request stream ended without a message");
        var extra = await MessageFraming.ReadAsync(reader, parser, limits.MaxReceiveMessageSize, cancellationToken);
        if (extra is not null)
            throw new RpcException(StatusCode.Internal, "More than one request message for a unary request");
        return message;
    }
}
