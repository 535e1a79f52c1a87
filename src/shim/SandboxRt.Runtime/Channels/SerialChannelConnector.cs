// Host side of the virtio-serial transport.
//
// QEMU exposes the guest's virtserialport "agent.channel.0" as a chardev socket (server=on,wait=off) in
// the sandbox's state directory. It takes one client at a time. The guest agent writes a hello line
// each time it sees a client attach (see the agent's SerialConnectionListener); only after reading it
// does the host begin HTTP/2. A client that attached while the guest still held the previous session
// gets no hello: it gives up after the hello timeout, which detaches it, which ends the guest's old
// session, and the next attempt is greeted.
using System.Net.Sockets;
using SandboxRt.Agent.Protocol;

namespace SandboxRt.Runtime.Channels;

public sealed class SerialChannelConnector(string socketPath, TimeSpan helloTimeout) : IAgentConnector
{
    public static readonly TimeSpan DefaultHelloTimeout = TimeSpan.FromSeconds(3);

    public SerialChannelConnector(string socketPath) : this(socketPath, DefaultHelloTimeout) { }

    public string Name => "virtio-serial";

    public string SocketPath => socketPath;

    public ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken) =>
        ConnectRetry.RunAsync(ct => AttemptAsync(helloTimeout, ct), socketPath, cancellationToken);

    /// <summary>
    /// One attempt that waits for the hello as long as <paramref name="cancellationToken"/> allows: the
    /// first connection of a booting VM, whose agent speaks only once it has started.
    /// </summary>
    public ValueTask<Stream> ConnectWhileBootingAsync(CancellationToken cancellationToken) =>
        ConnectRetry.RunAsync(ct => AttemptAsync(Timeout.InfiniteTimeSpan, ct), socketPath, cancellationToken);

    private async ValueTask<Stream> AttemptAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var socket = await UnixSockets.ConnectAsync(socketPath, cancellationToken);
        try
        {
            using var hello = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (timeout != Timeout.InfiniteTimeSpan)
                hello.CancelAfter(timeout);
            string line;
            try
            {
                line = await UnixSockets.ReadLineAsync(socket, SerialHandshake.MaxLineLength, hello.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TransientChannelException($"{socketPath}: no hello from the agent within {timeout.TotalSeconds:F1} s");
            }
            if (line + "\n" != SerialHandshake.Hello)
                throw new IOException($"{socketPath}: unexpected greeting '{Diagnostics.SafeText.Escape(line, 80)}' (expected '{SerialHandshake.Hello.TrimEnd()}')");
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
