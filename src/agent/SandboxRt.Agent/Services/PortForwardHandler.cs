using IPAddress = System.Net.IPAddress;
using IPEndPoint = System.Net.IPEndPoint;
using Google.Protobuf;
using SandboxRt.Agent.Network;
using SandboxRt.Agent.Protocol;
using SandboxRt.Grpc.Server;

namespace SandboxRt.Agent.Services;

/// <summary>
/// ForwardPort: the host's first message names the port; <see cref="GuestPortConnection"/> connects to it
/// on the guest's loopback, and the response headers say so before any data. Then the host's data goes to
/// the socket and the socket's to the host, until the socket's end of stream (which ends the call) or the
/// host's cancel. The host's half-close shuts the socket's sending side and the guest's answer still comes
/// back. Each request's data is bounded (<see cref="MaxData"/>), and so is what the agent holds: one
/// message each way, as HTTP/2 flow control holds back a side that does not read.
/// </summary>
internal static class PortForwardHandler
{
    /// <summary>The most data one host message may carry.</summary>
    public const int MaxData = GuestPortConnection.MaxChunk;

    private static readonly Dictionary<string, string> Connected = new() { [AgentMethods.PortConnectedHeader] = "1" };

    /// <param name="addresses">Where to connect: the guest's loopback (127.0.0.1, then ::1) unless the unit tests say otherwise.</param>
    public static async Task HandleAsync(IServerStreamReader<PortData> requests, IServerStreamWriter<PortData> responses, ServerCallContext context,
        IReadOnlyList<IPAddress>? addresses = null)
    {
        var first = await requests.ReadAsync(context.CancellationToken)
            ?? throw new ArgumentException("ForwardPort: the host half-closed before naming a port");
        if (first.Port is 0 or > IPEndPoint.MaxPort)
            throw new ArgumentException($"ForwardPort: port {first.Port} is not a TCP port (1 to {IPEndPoint.MaxPort})");
        CheckSize(first);
        using var connection = await GuestPortConnection.ConnectAsync((int)first.Port, context.CancellationToken, addresses);
        await context.WriteResponseHeadersAsync(Connected, context.CancellationToken);
        AgentLog.Info($"ForwardPort: connected to {connection.RemoteEndPoint}");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        var returning = ReturnAsync(connection, responses, stop.Token);
        var sending = SendAsync(connection, first, requests, stop.Token);
        try
        {
            // the socket's end of stream ends the call; the host's half-close only ends the sending (the
            // guest's answer still comes back); a host message that breaks the bounds ends the call at once
            if (await Task.WhenAny(returning, sending) == sending)
                await sending;
            await returning;
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await Task.WhenAll(returning, sending);
            }
            catch
            {
                // stopped with the call; what ended it was thrown above
            }
            AgentLog.Info($"ForwardPort: closed the connection to {connection.RemoteEndPoint}");
        }
    }

    private static async Task SendAsync(GuestPortConnection connection, PortData first, IServerStreamReader<PortData> requests, CancellationToken cancellationToken)
    {
        for (var next = first; next is not null; next = await requests.ReadAsync(cancellationToken))
        {
            CheckSize(next);
            await connection.SendAsync(next.Data.Memory, cancellationToken);
        }
        connection.ShutdownSend();
    }

    private static async Task ReturnAsync(GuestPortConnection connection, IServerStreamWriter<PortData> responses, CancellationToken cancellationToken)
    {
        while (true)
        {
            var data = await connection.ReceiveAsync(cancellationToken);
            if (data.IsEmpty)
                return;
            // the buffer is reused by the next read, which starts only once this write is done
            await responses.WriteAsync(new PortData { Data = UnsafeByteOperations.UnsafeWrap(data) }, cancellationToken);
        }
    }

    private static void CheckSize(PortData data)
    {
        if (data.Data.Length > MaxData)
            throw new ArgumentException($"ForwardPort: data of {data.Data.Length} bytes (at most {MaxData} per message)");
    }
}
