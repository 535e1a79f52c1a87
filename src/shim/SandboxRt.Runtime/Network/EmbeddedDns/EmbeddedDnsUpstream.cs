using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace SandboxRt.Runtime.Network.EmbeddedDns;

/// <summary>
/// Docker's embedded DNS server as the container would reach it: 127.0.0.11:53 from the network namespace
/// this process runs in (the relay's, which is the container's own on the host: Docker's iptables rules
/// there send 127.0.0.11:53, UDP and TCP, on to its server). The address is fixed; nothing the guest sends
/// chooses where the host sends. One socket per query, as a stub resolver does: over UDP, connected so
/// that only the server's datagrams are read; over TCP (the guest's client asked over TCP, after a
/// truncated UDP answer), with the 2-byte length before each message (RFC 1035 4.2.2). The answer must
/// carry the query's DNS id.
/// </summary>
public sealed class EmbeddedDnsUpstream(IPEndPoint? address = null) : IDnsUpstream
{
    public static readonly IPEndPoint Address = new(IPAddress.Parse("127.0.0.11"), 53);

    private readonly IPEndPoint _address = address ?? Address;

    public Task<byte[]?> ExchangeAsync(ReadOnlyMemory<byte> query, bool tcp, CancellationToken cancellationToken) =>
        tcp ? ExchangeOverTcpAsync(query, cancellationToken) : ExchangeOverUdpAsync(query, cancellationToken);

    private async Task<byte[]?> ExchangeOverUdpAsync(ReadOnlyMemory<byte> query, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(_address, cancellationToken);
        await socket.SendAsync(query, SocketFlags.None, cancellationToken);
        var buffer = new byte[ushort.MaxValue];
        while (true)
        {
            int length = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (SameId(query.Span, buffer.AsSpan(0, length)))
                return buffer.AsSpan(0, length).ToArray();
        }
    }

    private async Task<byte[]?> ExchangeOverTcpAsync(ReadOnlyMemory<byte> query, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_address, cancellationToken);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var prefix = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(prefix, (ushort)query.Length);
        await stream.WriteAsync(prefix, cancellationToken);
        await stream.WriteAsync(query, cancellationToken);
        await stream.ReadExactlyAsync(prefix, cancellationToken);
        var answer = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
        await stream.ReadExactlyAsync(answer, cancellationToken);
        return SameId(query.Span, answer) ? answer : null;
    }

    private static bool SameId(ReadOnlySpan<byte> query, ReadOnlySpan<byte> answer) =>
        answer.Length >= 2 && answer[0] == query[0] && answer[1] == query[1];
}
