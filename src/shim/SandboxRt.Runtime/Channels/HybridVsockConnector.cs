using System.Net.Sockets;
using System.Text;

namespace SandboxRt.Runtime.Channels;

/// <summary>
/// Hybrid vsock (Cloud Hypervisor, Firecracker): a Unix socket on the host multiplexes guest vsock
/// ports. The host writes "CONNECT &lt;port&gt;\n" and the VMM answers "OK &lt;host port&gt;\n" once
/// the guest accepted; from then on the socket is the vsock stream.
/// </summary>
public sealed class HybridVsockConnector(string socketPath, uint port) : IAgentConnector
{
    public string Name => "hybrid-vsock";

    public ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken) =>
        ConnectRetry.RunAsync(AttemptAsync, socketPath, cancellationToken);

    private async ValueTask<Stream> AttemptAsync(CancellationToken cancellationToken)
    {
        var socket = await UnixSockets.ConnectAsync(socketPath, cancellationToken);
        try
        {
            await socket.SendAsync(Encoding.ASCII.GetBytes($"CONNECT {port}\n"), SocketFlags.None, cancellationToken);
            var answer = await UnixSockets.ReadLineAsync(socket, 64, cancellationToken);
            if (!answer.StartsWith("OK ", StringComparison.Ordinal))
                throw new TransientChannelException($"{socketPath}: CONNECT {port} answered '{Diagnostics.SafeText.Escape(answer, 80)}'");
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
