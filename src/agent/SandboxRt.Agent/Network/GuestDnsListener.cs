// The guest's end of Docker's embedded DNS server (ForwardDns).
//
// Docker writes `nameserver 127.0.0.11` into a container's resolv.conf on a user-defined network; its
// server listens in the container's network namespace on the host, which the guest does not reach. This
// listener takes 127.0.0.11:53 (UDP) in the guest's own network namespace, the one the mirrored
// containers share (127.0.0.0/8 is local on the guest's loopback, which boot brings up), and hands each
// datagram to the host, remembering who asked so that the answer goes back to that client from
// 127.0.0.11:53, as a stub resolver expects.
//
// Bounds, so that a client flooding 127.0.0.11 cannot make the agent grow: datagrams shorter than a DNS
// header or longer than MaxMessage are dropped; at most MaxPending queries wait for an answer, and one
// that waited longer than PendingLifetime makes room for a new one (DNS clients retry a lost query).
using System.Net;
using System.Net.Sockets;

namespace SandboxRt.Agent.Network;

internal sealed class GuestDnsListener : IDisposable
{
    /// <summary>The largest UDP query forwarded (RFC 6891's usual EDNS buffer size).</summary>
    public const int MaxMessage = 4096;

    /// <summary>A DNS header's size: anything shorter is not a query.</summary>
    public const int MinMessage = 12;

    public const int MaxPending = 256;
    public static readonly TimeSpan PendingLifetime = TimeSpan.FromSeconds(10);
    public static readonly IPEndPoint Address = new(IPAddress.Parse("127.0.0.11"), 53);

    private readonly Socket _socket;
    private readonly TimeProvider _time;
    private readonly Dictionary<uint, (EndPoint Client, long Since)> _pending = [];
    private readonly byte[] _buffer = new byte[MaxMessage + 1];
    private uint _nextId;

    private GuestDnsListener(Socket socket, TimeProvider time) => (_socket, _time) = (socket, time);

    /// <summary>Where it listens (for tests that bind elsewhere).</summary>
    public EndPoint LocalEndPoint => _socket.LocalEndPoint!;

    /// <summary>Binds 127.0.0.11:53 (UDP) in the agent's network namespace (<paramref name="at"/>: the unit tests' port instead).</summary>
    public static GuestDnsListener Bind(IPEndPoint? at = null, TimeProvider? time = null)
    {
        at ??= Address;
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(at);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new InvalidOperationException($"ForwardDns: bind({at}, UDP): {e.SocketErrorCode} ({e.Message})");
        }
        return new GuestDnsListener(socket, time ?? TimeProvider.System);
    }

    /// <summary>The next query a client sent, with the id its answer must carry; drops what is not a query or cannot wait.</summary>
    public async ValueTask<(uint Id, byte[] Message)> ReceiveAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var received = await _socket.ReceiveFromAsync(_buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cancellationToken);
            if (received.ReceivedBytes < MinMessage || received.ReceivedBytes > MaxMessage)
            {
                AgentLog.Trace($"ForwardDns: dropped a datagram of {received.ReceivedBytes} bytes from {received.RemoteEndPoint} (a query has {MinMessage} to {MaxMessage})");
                continue;
            }
            var id = Remember(received.RemoteEndPoint);
            if (id is null)
            {
                AgentLog.Trace($"ForwardDns: dropped a query from {received.RemoteEndPoint}: {MaxPending} queries wait for an answer");
                continue;
            }
            return (id.Value, _buffer.AsSpan(0, received.ReceivedBytes).ToArray());
        }
    }

    /// <summary>Sends the answer to the client that asked query <paramref name="id"/>; an answer to no waiting query is dropped.</summary>
    public async ValueTask AnswerAsync(uint id, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        EndPoint? client;
        lock (_pending)
            client = _pending.Remove(id, out var waiting) ? waiting.Client : null;
        if (client is null)
            return;
        try
        {
            await _socket.SendToAsync(message, SocketFlags.None, client, cancellationToken);
        }
        catch (SocketException e)
        {
            // the client went away (or the answer is too large for a datagram): its problem, not the forwarding's
            AgentLog.Trace($"ForwardDns: sendto({client}) of {message.Length} bytes: {e.SocketErrorCode}");
        }
    }

    private uint? Remember(EndPoint client)
    {
        long now = _time.GetTimestamp();
        lock (_pending)
        {
            if (_pending.Count >= MaxPending)
            {
                foreach (var (id, waiting) in _pending)
                {
                    if (_time.GetElapsedTime(waiting.Since, now) > PendingLifetime)
                        _pending.Remove(id);
                }
                if (_pending.Count >= MaxPending)
                    return null;
            }
            while (_pending.ContainsKey(++_nextId))
            {
            }
            _pending[_nextId] = (client, now);
            return _nextId;
        }
    }

    public void Dispose() => _socket.Dispose();
}
