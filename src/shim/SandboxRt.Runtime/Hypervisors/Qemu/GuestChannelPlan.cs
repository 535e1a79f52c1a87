namespace SandboxRt.Runtime.Hypervisors.Qemu;

/// <summary>
/// How the agent's channel is wired: a virtio-serial port behind a listening socket the host made and
/// QEMU inherited (its descriptor number in QEMU), or vhost-vsock with a reserved CID.
/// </summary>
internal sealed record GuestChannelPlan(string Kind, int SerialListenFd = -1, uint VsockCid = 0, int VhostFd = -1)
{
    public const string SerialPortName = "agent.channel.0";
    public const uint AgentVsockPort = 1024;

    public static GuestChannelPlan Serial(int listenFd) => new("serial", SerialListenFd: listenFd);

    public static GuestChannelPlan Vsock(uint cid, int vhostFd) => new("vsock", VsockCid: cid, VhostFd: vhostFd);
}
