using System.Net;

namespace SandboxRt.Agent.Transport;

/// <summary>An AF_VSOCK port on any CID of this guest.</summary>
internal sealed class VsockEndPoint(uint port) : EndPoint
{
    public uint Port { get; } = port;

    public override string ToString() => $"vsock://-1:{Port}";
}
