namespace SandboxRt.Runtime.Agent;

/// <summary>
/// The HTTP/2 handler under the agent's gRPC channel: one cleartext connection, opened by a connector
/// (vsock, hybrid vsock's Unix socket, the virtio-serial port or the relay's socket, each with the auth
/// preamble) through <see cref="SocketsHttpHandler.ConnectCallback"/>. Every call is a stream on that one
/// connection, which never idles out; when it drops, the next call reconnects through the callback.
/// </summary>
internal static class AgentHttpHandler
{
    public static SocketsHttpHandler Create(Func<CancellationToken, ValueTask<Stream>> connect) => new()
    {
        ConnectCallback = (_, cancellationToken) => connect(cancellationToken),
        PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        EnableMultipleHttp2Connections = false,
        UseProxy = false,
        AllowAutoRedirect = false,
        InitialHttp2StreamWindowSize = 2 * 1024 * 1024,
    };
}
