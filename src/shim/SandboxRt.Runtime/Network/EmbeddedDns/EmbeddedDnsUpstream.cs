using System.Net;
using System.Net.Sockets;

namespace SandboxRt.Runtime.Network.EmbeddedDns;

/// <summary>
/// Docker's embedded DNS server as the container would reach it: UDP to 127.0.0.11:53 from the network
/// namespace this process runs in (the relay's, which is the container's own on the host: Docker's
/// iptables rules there send 127.0.0.11:53 on to its server). The address is fixed; nothing the guest
/// sends chooses where the host sends. One socket per query, as a stub resolver does, connected so that
/// only the server's datagrams are read; the answer must carry the query's DNS id.
/// </summary>
public sealed class EmbeddedDnsUpstream : IDnsUpstream
{
    public static readonly IPEndPoint Address = new(IPAddress.Parse("127.0.0.11"), 53);

    public async Task<byte[]?> ExchangeAsync(ReadOnlyMemory<byte> query, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(Address, cancellationToken);
        await socket.SendAsync(query, SocketFlags.None, cancellationToken);
        var buffer = new byte[ushort.MaxValue];
        while (true)
        {
            int length = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (length >= 2 && buffer[0] == query.Span[0] && buffer[1] == query.Span[1])
                return buffer.AsSpan(0, length).ToArray();
        }
    }
}
