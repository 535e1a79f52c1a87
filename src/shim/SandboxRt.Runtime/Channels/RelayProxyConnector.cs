using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Channels;

/// <summary>
/// The init relay's proxy socket. Unlike a plain Unix socket connector it knows whose socket it is: a
/// refused connection from a relay that no longer exists is not "not listening yet" but a peer that is
/// gone for good, and it fails with <see cref="RelayGoneException"/> instead of retrying until the
/// caller's deadline (an exec through a killed relay used to hang for the client's whole retry window).
/// </summary>
public sealed class RelayProxyConnector(string containerId, string proxySocket, ProcessIdentity relay) : IAgentConnector
{
    public string Name => "relay-proxy";

    public ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken) =>
        ConnectRetry.RunAsync(async ct =>
        {
            if (!relay.IsAlive || !Path.Exists(proxySocket))
                throw new RelayGoneException(containerId, relay.Pid, proxySocket);
            return new System.Net.Sockets.NetworkStream(await UnixSockets.ConnectAsync(proxySocket, ct), ownsSocket: true);
        }, proxySocket, cancellationToken);
}
