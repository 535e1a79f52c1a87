// The guest's end of Docker's embedded DNS server (ForwardDns).
//
// Docker writes `nameserver 127.0.0.11` into a container's resolv.conf on a user-defined network; its
// server listens in the container's network namespace on the host, which the guest does not reach. This
// listener takes 127.0.0.11:53, UDP and TCP, in the guest's own network namespace, the one the mirrored
// containers share (127.0.0.0/8 is local on the guest's loopback, which boot brings up), and hands each
// query to the host, remembering who asked so that the answer goes back to that client: a UDP client from
// 127.0.0.11:53, as a stub resolver expects; a TCP client on its connection, with the 2-byte length before
// it (RFC 1035 4.2.2). A client falls back to TCP when a UDP answer came back truncated (more than 512
// bytes without EDNS: a name with many addresses); the host then asks Docker's server over TCP too.
//
// Bounds, so that a client flooding 127.0.0.11 cannot make the agent grow: queries shorter than a DNS
// header or longer than MaxMessage are dropped (a TCP connection that sends one is closed); at most
// MaxPending queries wait for an answer, and one that waited longer than PendingLifetime makes room for a
// new one (DNS clients retry a lost query); at most MaxTcpConnections TCP connections at once (more are
// closed at once), each asking one query at a time and closed when idle for TcpIdle or when its answer
// does not come within PendingLifetime.
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace SandboxRt.Agent.Network;

internal sealed class GuestDnsListener : IDisposable
{
    /// <summary>The largest query forwarded (RFC 6891's usual EDNS buffer size).</summary>
    public const int MaxMessage = 4096;

    /// <summary>A DNS header's size: anything shorter is not a query.</summary>
    public const int MinMessage = 12;

    public const int MaxPending = 256;
    public const int MaxTcpConnections = 16;
    public static readonly TimeSpan PendingLifetime = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan TcpIdle = TimeSpan.FromSeconds(10);
    public static readonly IPEndPoint Address = new(IPAddress.Parse("127.0.0.11"), 53);

    private readonly Socket _udp;
    private readonly Socket _tcp;
    private readonly TimeProvider _time;
    private readonly Dictionary<uint, (EndPoint? Datagram, TaskCompletionSource<byte[]>? Stream, long Since)> _pending = [];
    private readonly Channel<(uint Id, byte[] Message, bool Tcp)> _queries = Channel.CreateBounded<(uint, byte[], bool)>(64);
    private readonly CancellationTokenSource _stop = new();
    private uint _nextId;
    private int _connections;

    private GuestDnsListener(Socket udp, Socket tcp, TimeProvider time)
    {
        (_udp, _tcp, _time) = (udp, tcp, time);
        _ = ReceiveDatagramsAsync(_stop.Token);
        _ = AcceptAsync(_stop.Token);
    }

    /// <summary>Where it listens, UDP and TCP alike (for tests that bind elsewhere).</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_udp.LocalEndPoint!;

    /// <summary>Binds 127.0.0.11:53, UDP and TCP, in the agent's network namespace (<paramref name="at"/>: the unit tests' port instead).</summary>
    public static GuestDnsListener Bind(IPEndPoint? at = null, TimeProvider? time = null)
    {
        at ??= Address;
        var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        string proto = "UDP";
        try
        {
            udp.Bind(at);
            proto = "TCP";
            tcp.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            tcp.Bind(new IPEndPoint(at.Address, ((IPEndPoint)udp.LocalEndPoint!).Port));
            tcp.Listen(MaxTcpConnections);
        }
        catch (SocketException e)
        {
            udp.Dispose();
            tcp.Dispose();
            throw new InvalidOperationException($"ForwardDns: bind({at}, {proto}): {e.SocketErrorCode} ({e.Message})");
        }
        return new GuestDnsListener(udp, tcp, time ?? TimeProvider.System);
    }

    /// <summary>The next query a client sent (over TCP or not), with the id its answer must carry.</summary>
    public ValueTask<(uint Id, byte[] Message, bool Tcp)> ReceiveAsync(CancellationToken cancellationToken) =>
        _queries.Reader.ReadAsync(cancellationToken);

    /// <summary>Sends the answer to the client that asked query <paramref name="id"/>; an answer to no waiting query is dropped.</summary>
    public async ValueTask AnswerAsync(uint id, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        EndPoint? datagram;
        lock (_pending)
        {
            if (!_pending.Remove(id, out var waiting))
                return;
            if (waiting.Stream is { } stream)
            {
                stream.TrySetResult(message.ToArray());
                return;
            }
            datagram = waiting.Datagram!;
        }
        try
        {
            await _udp.SendToAsync(message, SocketFlags.None, datagram, cancellationToken);
        }
        catch (SocketException e)
        {
            // the client went away (or the answer is too large for a datagram): its problem, not the forwarding's
            AgentLog.Trace($"ForwardDns: sendto({datagram}) of {message.Length} bytes: {e.SocketErrorCode}");
        }
    }

    private async Task ReceiveDatagramsAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxMessage + 1];
        try
        {
            while (true)
            {
                var received = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cancellationToken);
                if (received.ReceivedBytes < MinMessage || received.ReceivedBytes > MaxMessage)
                {
                    AgentLog.Trace($"ForwardDns: dropped a datagram of {received.ReceivedBytes} bytes from {received.RemoteEndPoint} (a query has {MinMessage} to {MaxMessage})");
                    continue;
                }
                var id = Remember(received.RemoteEndPoint, null);
                if (id is null)
                {
                    AgentLog.Trace($"ForwardDns: dropped a query from {received.RemoteEndPoint}: {MaxPending} queries wait for an answer");
                    continue;
                }
                await _queries.Writer.WriteAsync((id.Value, buffer.AsSpan(0, received.ReceivedBytes).ToArray(), false), cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException && cancellationToken.IsCancellationRequested)
        {
            // the listener is being disposed
        }
        catch (Exception e)
        {
            AgentLog.Warn($"ForwardDns: UDP stopped: {e.Message}");
        }
    }

    private async Task AcceptAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var connection = await _tcp.AcceptAsync(cancellationToken);
                if (Interlocked.Increment(ref _connections) > MaxTcpConnections)
                {
                    Interlocked.Decrement(ref _connections);
                    AgentLog.Trace($"ForwardDns: closed a TCP connection from {connection.RemoteEndPoint}: {MaxTcpConnections} are open");
                    connection.Dispose();
                    continue;
                }
                _ = ServeAsync(connection, cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException && cancellationToken.IsCancellationRequested)
        {
            // the listener is being disposed
        }
        catch (Exception e)
        {
            AgentLog.Warn($"ForwardDns: TCP stopped: {e.Message}");
        }
    }

    /// <summary>One TCP client: its queries one at a time, each answered before the next is read.</summary>
    private async Task ServeAsync(Socket connection, CancellationToken cancellationToken)
    {
        var peer = connection.RemoteEndPoint;
        var prefix = new byte[2];
        try
        {
            using var stream = new NetworkStream(connection, ownsSocket: true);
            while (true)
            {
                byte[] query;
                using (var idleTimer = new CancellationTokenSource(TcpIdle, _time))
                using (var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, idleTimer.Token))
                {
                    if (!await ReadExactlyOrEndAsync(stream, prefix, idle.Token))
                        return;
                    int length = BinaryPrimitives.ReadUInt16BigEndian(prefix);
                    if (length is < MinMessage or > MaxMessage)
                    {
                        AgentLog.Trace($"ForwardDns: closed the TCP connection from {peer}: a query of {length} bytes (a query has {MinMessage} to {MaxMessage})");
                        return;
                    }
                    query = new byte[length];
                    if (!await ReadExactlyOrEndAsync(stream, query, idle.Token))
                        return;
                }
                var answered = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
                var id = Remember(null, answered);
                if (id is null)
                {
                    AgentLog.Trace($"ForwardDns: closed the TCP connection from {peer}: {MaxPending} queries wait for an answer");
                    return;
                }
                await _queries.Writer.WriteAsync((id.Value, query, true), cancellationToken);
                byte[] answer;
                try
                {
                    answer = await answered.Task.WaitAsync(PendingLifetime, _time, cancellationToken);
                }
                catch (TimeoutException)
                {
                    Forget(id.Value);
                    return;
                }
                if (answer.Length > ushort.MaxValue)
                    return;
                BinaryPrimitives.WriteUInt16BigEndian(prefix, (ushort)answer.Length);
                await stream.WriteAsync(prefix, cancellationToken);
                await stream.WriteAsync(answer, cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // idle, gone, or the listener is being disposed
        }
        finally
        {
            Interlocked.Decrement(ref _connections);
        }
    }

    /// <summary>Fills <paramref name="buffer"/>; false when the client closed before the first byte (a clean end), an error after it.</summary>
    private static async Task<bool> ReadExactlyOrEndAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken);
            if (n == 0)
                return read == 0 ? false : throw new IOException("the client closed inside a message");
            read += n;
        }
        return true;
    }

    private uint? Remember(EndPoint? datagram, TaskCompletionSource<byte[]>? stream)
    {
        long now = _time.GetTimestamp();
        lock (_pending)
        {
            if (_pending.Count >= MaxPending)
            {
                foreach (var (id, waiting) in _pending)
                {
                    if (_time.GetElapsedTime(waiting.Since, now) > PendingLifetime)
                    {
                        _pending.Remove(id);
                        waiting.Stream?.TrySetCanceled();
                    }
                }
                if (_pending.Count >= MaxPending)
                    return null;
            }
            while (_pending.ContainsKey(++_nextId))
            {
            }
            _pending[_nextId] = (datagram, stream, now);
            return _nextId;
        }
    }

    private void Forget(uint id)
    {
        lock (_pending)
            _pending.Remove(id);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _udp.Dispose();
        _tcp.Dispose();
        lock (_pending)
        {
            foreach (var waiting in _pending.Values)
                waiting.Stream?.TrySetCanceled();
            _pending.Clear();
        }
    }
}
