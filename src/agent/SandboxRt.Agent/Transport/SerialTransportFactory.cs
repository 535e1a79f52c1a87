using System.Net;
using Microsoft.AspNetCore.Connections;

namespace SandboxRt.Agent.Transport;

/// <summary>Kestrel transport for a virtio-serial port: the fallback where the host has no vhost-vsock.</summary>
internal sealed class SerialTransportFactory : IConnectionListenerFactory
{
    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not SerialEndPoint serial)
            throw new NotSupportedException($"The virtio-serial transport cannot bind {endpoint}");
        var devicePath = VirtioPorts.FindDevice(serial.PortName)
            ?? throw new FileNotFoundException($"no virtio-serial port named '{serial.PortName}' under {VirtioPorts.SysClassDir}");
        return ValueTask.FromResult<IConnectionListener>(new SerialConnectionListener(serial, devicePath));
    }
}
