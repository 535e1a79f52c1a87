namespace SandboxRt.Runtime.Channels;

/// <summary>
/// Opens a byte stream to the agent in one guest. One method, as Kata's Sock trait: vsock, hybrid vsock,
/// virtio-serial and plain Unix sockets differ only in how the stream is established.
/// </summary>
public interface IAgentConnector
{
    /// <summary>A short name for logs and GuestDetails: "vsock", "hybrid-vsock", "virtio-serial", "unix".</summary>
    string Name { get; }

    /// <summary>Connects, retrying while the agent is not there yet, until cancelled.</summary>
    ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The first connection to a VM that is still booting: like <see cref="ConnectAsync"/>, but a
    /// connector whose attempts time out (virtio-serial waiting for its hello) waits as long as the
    /// token allows instead.
    /// </summary>
    ValueTask<Stream> ConnectWhileBootingAsync(CancellationToken cancellationToken) => ConnectAsync(cancellationToken);
}
