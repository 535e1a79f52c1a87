using System.Buffers.Binary;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using SandboxRt.Runtime.Agent;

namespace SandboxRt.Runtime.Network.PortForwarding;

/// <summary>
/// One connection taken in the pod's namespace, carried to a guest port through the agent
/// (<see cref="IAgentPorts.ForwardPortAsync"/>). Each side's end of stream is passed on as a half-close, so
/// a client that sends its request and shuts its side still gets the whole answer. When the guest has
/// nothing on that port, or the forwarding fails, the client's connection is reset (not closed), so that
/// the client sees an error rather than an empty answer.
/// </summary>
internal sealed class ForwardedConnection(Socket client, int port, IAgentPorts agent, string podId, ILogger log)
{
    /// <summary>How long the agent may take to connect to the guest port.</summary>
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);

    /// <summary>SO_ORIGINAL_DST (linux/netfilter_ipv4.h): the address a redirected connection was made to.</summary>
    private const int SoOriginalDst = 80;
    private const int SolIp = 0;

    /// <summary>The port the client connected to before the redirect (<paramref name="listenerPort"/> when it was not redirected).</summary>
    public static int RequestedPort(Socket accepted, int listenerPort)
    {
        Span<byte> address = stackalloc byte[16]; // struct sockaddr_in: family, port (network order), address, zero
        try
        {
            return accepted.GetRawSocketOption(SolIp, SoOriginalDst, address) >= 4 ? BinaryPrimitives.ReadUInt16BigEndian(address[2..]) : listenerPort;
        }
        catch (SocketException)
        {
            return listenerPort; // ENOENT: no conntrack entry, the client asked for the listener's own port
        }
    }

    /// <summary>Closes <paramref name="socket"/> with a reset (SO_LINGER 0): the client reads ECONNRESET, not an end of stream.</summary>
    public static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
            // closed anyway
        }
        socket.Dispose();
    }

    public async Task RunAsync(CancellationToken stop)
    {
        IPortChannel channel;
        try
        {
            using var connecting = CancellationTokenSource.CreateLinkedTokenSource(stop);
            connecting.CancelAfter(ConnectTimeout);
            channel = await agent.ForwardPortAsync(port, connecting.Token);
        }
        catch (Exception e) when (e is AgentException or OperationCanceledException)
        {
            log.LogInformation("pod {Pod}: port forwarding to guest port {Port}: {Error}; the connection is reset", podId, port,
                e is OperationCanceledException ? "the agent did not connect" : e.Message);
            Reset(client);
            return;
        }
        log.LogDebug("pod {Pod}: port forwarding to guest port {Port}: connected", podId, port);
        await using (channel)
        {
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stop);
            var toGuest = ToGuestAsync(channel, cancel.Token);
            var fromGuest = FromGuestAsync(channel, cancel.Token);
            var failed = false;
            try
            {
                // each direction ends at its side's end of stream; a failure of either ends both. After the
                // client's half-close the guest's answer still comes back; once the guest's server has
                // closed, the agent has closed its socket, so what the client might still send has nowhere to go
                var first = await Task.WhenAny(toGuest, fromGuest);
                await first;
                if (first == toGuest)
                    await fromGuest;
            }
            catch (Exception e) when (e is AgentException or SocketException or OperationCanceledException or IOException)
            {
                failed = true;
                if (!stop.IsCancellationRequested)
                    log.LogInformation("pod {Pod}: port forwarding to guest port {Port} ended: {Error}", podId, port, e.Message);
            }
            finally
            {
                await cancel.CancelAsync();
                try
                {
                    await Task.WhenAll(toGuest, fromGuest);
                }
                catch
                {
                    // stopped; what ended it was logged above
                }
            }
            if (failed || stop.IsCancellationRequested)
                Reset(client);
            else
                client.Dispose();
        }
    }

    private async Task ToGuestAsync(IPortChannel channel, CancellationToken cancellationToken)
    {
        var buffer = new byte[IPortChannel.MaxWrite];
        while (true)
        {
            var count = await client.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (count == 0)
            {
                await channel.CompleteAsync();
                return;
            }
            await channel.WriteAsync(buffer.AsMemory(0, count), cancellationToken);
        }
    }

    private async Task FromGuestAsync(IPortChannel channel, CancellationToken cancellationToken)
    {
        while (await channel.ReadAsync(cancellationToken) is { } data)
        {
            for (var rest = data; !rest.IsEmpty;)
                rest = rest[await client.SendAsync(rest, SocketFlags.None, cancellationToken)..];
        }
        client.Shutdown(SocketShutdown.Send);
    }
}
