using System.Net;

namespace SandboxRt.Agent.Transport;

/// <summary>A named virtio-serial port (the QEMU <c>virtserialport</c> name, e.g. agent.channel.0).</summary>
internal sealed class SerialEndPoint(string portName) : EndPoint
{
    public string PortName { get; } = portName;

    public override string ToString() => "virtio-serial://" + PortName;
}
