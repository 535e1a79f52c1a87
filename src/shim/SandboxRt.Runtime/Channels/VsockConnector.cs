using System.Net.Sockets;
using SandboxRt.Interop;

namespace SandboxRt.Runtime.Channels;

/// <summary>AF_VSOCK to a guest CID (vhost-vsock under QEMU/KVM): the production channel.</summary>
public sealed class VsockConnector(uint cid, uint port) : IAgentConnector
{
    public string Name => "vsock";

    public ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken) =>
        ConnectRetry.RunAsync(
            ct => ValueTask.FromResult<Stream>(new NetworkStream(VsockSocket.Connect(cid, port), ownsSocket: true)),
            $"vsock:{cid}:{port}", cancellationToken);
}
