using System.Net.Sockets;

namespace SandboxRt.Runtime.Channels;

/// <summary>An agent serving on a Unix socket of this host (sandboxrt-agent serve, for tests and tools).</summary>
public sealed class UnixSocketConnector(string path) : IAgentConnector
{
    public string Name => "unix";

    public ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken) =>
        ConnectRetry.RunAsync(async ct => new NetworkStream(await UnixSockets.ConnectAsync(path, ct), ownsSocket: true), path, cancellationToken);
}
