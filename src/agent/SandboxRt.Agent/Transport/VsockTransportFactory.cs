using System.Net;
using Microsoft.AspNetCore.Connections;
using SandboxRt.Interop;

namespace SandboxRt.Agent.Transport;

/// <summary>Kestrel transport for AF_VSOCK: the production channel (vhost-vsock, or hybrid vsock).</summary>
internal sealed class VsockTransportFactory : IConnectionListenerFactory
{
    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not VsockEndPoint vsock)
            throw new NotSupportedException($"The vsock transport cannot bind {endpoint}");
        var fd = VsockSocket.Listen(VsockSocket.AnyCid, vsock.Port);
        return ValueTask.FromResult<IConnectionListener>(new VsockConnectionListener(vsock, fd));
    }
}
