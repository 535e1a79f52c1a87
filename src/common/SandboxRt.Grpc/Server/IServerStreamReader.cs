namespace SandboxRt.Grpc.Server;

/// <summary>Reads the request messages of a client-streaming or duplex call, in order.</summary>
public interface IServerStreamReader<T>
    where T : class
{
    /// <summary>
    /// The next message, or null once the client half-closed its side (END_STREAM). Only the message
    /// being read is buffered: a handler that does not read holds back the client (HTTP/2 flow control).
    /// </summary>
    ValueTask<T?> ReadAsync(CancellationToken cancellationToken = default);
}
