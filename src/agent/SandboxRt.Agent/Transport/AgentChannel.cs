using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace SandboxRt.Agent.Transport;

/// <summary>Where the agent serves: an endpoint, the Kestrel transport that binds it, and its name.</summary>
internal sealed record AgentChannel(EndPoint EndPoint, IConnectionListenerFactory? Transport, string Name)
{
    public static AgentChannel Vsock(uint port) => new(new VsockEndPoint(port), new VsockTransportFactory(), "vsock");

    public static AgentChannel Serial(string portName) => new(new SerialEndPoint(portName), new SerialTransportFactory(), "virtio-serial");

    /// <summary>A Unix socket, served by Kestrel's own socket transport (the agent run on a host, for tests).</summary>
    public static AgentChannel Unix(string path) => new(new UnixDomainSocketEndPoint(path), null, "unix");
}
