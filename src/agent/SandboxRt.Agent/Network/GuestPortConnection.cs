// The guest's end of a forwarded port (ForwardPort, the CRI's PortForward).
//
// containerd serves `kubectl port-forward` by dialling localhost:PORT in the pod's network namespace on the
// host: 127.0.0.1 first, then ::1. The pod's processes are in the VM, so the host carries the connection
// here, and this does the same dial in the guest's network namespace (the one the pod's containers share).
using System.Net;
using System.Net.Sockets;

namespace SandboxRt.Agent.Network;

internal sealed class GuestPortConnection : IDisposable
{
    /// <summary>The largest piece read from the socket and sent to the host at once.</summary>
    public const int MaxChunk = 64 * 1024;

    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[MaxChunk];

    private GuestPortConnection(Socket socket) => _socket = socket;

    /// <summary>The address it connected to.</summary>
    public EndPoint RemoteEndPoint => _socket.RemoteEndPoint!;

    /// <summary>
    /// Connects to <paramref name="port"/> on 127.0.0.1, then on ::1 (<paramref name="addresses"/>: the unit
    /// tests' instead). When neither answers: a <see cref="PortNotReachableException"/> naming
    /// every address and its error.
    /// </summary>
    public static async Task<GuestPortConnection> ConnectAsync(int port, CancellationToken cancellationToken, IReadOnlyList<IPAddress>? addresses = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        addresses ??= [IPAddress.Loopback, IPAddress.IPv6Loopback];
        var errors = new List<string>();
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken);
                return new GuestPortConnection(socket);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                errors.Add($"{new IPEndPoint(address, port)}: {e.SocketErrorCode} ({e.Message})");
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw new PortNotReachableException($"ForwardPort: nothing accepts connections on port {port} in the guest: {string.Join("; ", errors)}");
    }

    /// <summary>What the socket sent next (at most <see cref="MaxChunk"/> bytes, valid until the next read), or empty at its end of stream.</summary>
    public async ValueTask<ReadOnlyMemory<byte>> ReceiveAsync(CancellationToken cancellationToken)
    {
        var count = await _socket.ReceiveAsync(_buffer, SocketFlags.None, cancellationToken);
        return _buffer.AsMemory(0, count);
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
            data = data[await _socket.SendAsync(data, SocketFlags.None, cancellationToken)..];
    }

    /// <summary>The host has nothing more to send: the guest's server reads its end of stream.</summary>
    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    public void Dispose() => _socket.Dispose();
}
