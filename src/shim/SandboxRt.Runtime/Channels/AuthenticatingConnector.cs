namespace SandboxRt.Runtime.Channels;

/// <summary>
/// Authenticates every stream another connector opens: sends the sandbox's preamble (AgentAuthPreamble,
/// the magic and the secret) before anything else, so that the agent serves HTTP/2 on it. One wrapper for
/// every transport (vsock, hybrid vsock, virtio-serial after its hello, a Unix socket); the agent closes a
/// connection whose preamble is missing or wrong without answering.
/// </summary>
public sealed class AuthenticatingConnector(IAgentConnector inner, AgentToken token) : IAgentConnector
{
    private readonly byte[] _preamble = token.Preamble();

    public IAgentConnector Inner => inner;

    public string Name => inner.Name;

    public async ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken) =>
        await AuthenticateAsync(await inner.ConnectAsync(cancellationToken), cancellationToken);

    public async ValueTask<Stream> ConnectWhileBootingAsync(CancellationToken cancellationToken) =>
        await AuthenticateAsync(await inner.ConnectWhileBootingAsync(cancellationToken), cancellationToken);

    private async ValueTask<Stream> AuthenticateAsync(Stream stream, CancellationToken cancellationToken)
    {
        try
        {
            await stream.WriteAsync(_preamble, cancellationToken);
            await stream.FlushAsync(cancellationToken);
            return stream;
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }
}
