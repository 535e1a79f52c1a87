namespace SandboxRt.Runtime.Hypervisors.Qemu;

/// <summary>How the agent's channel is wired: a virtio-serial chardev socket, or vhost-vsock with a reserved CID.</summary>
internal sealed record GuestChannelPlan(string Kind, string? SerialSocketPath = null, uint VsockCid = 0, int VhostFd = -1)
{
    public const string SerialPortName = "agent.channel.0";
    public const uint AgentVsockPort = 1024;

    public static GuestChannelPlan Serial(string socketPath) => new("serial", SerialSocketPath: socketPath);

    public static GuestChannelPlan Vsock(uint cid, int vhostFd) => new("vsock", VsockCid: cid, VhostFd: vhostFd);
}
