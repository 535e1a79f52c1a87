using System.Text;

namespace SandboxRt.Agent.Protocol;

/// <summary>
/// The line the agent writes on a virtio-serial port each time a host attaches, before HTTP/2 starts.
/// The host sends nothing until it has read it (see the agent's SerialConnectionListener).
/// </summary>
public static class SerialHandshake
{
    public const string Hello = "SANDBOXRT-AGENT READY sandboxrt.agent.v1\n";

    public static ReadOnlySpan<byte> HelloBytes => "SANDBOXRT-AGENT READY sandboxrt.agent.v1\n"u8;

    /// <summary>
    /// What the agent logs on the console when, after a session, it finds no host attached and waits for
    /// the next one: from then on a new attachment is a new session. A template builder that has had a
    /// session of its own saves the VM only after this line (host: Templates/QemuTemplateBuilder.cs).
    /// </summary>
    public const string HostDetachedLog = "virtio-serial: the host detached, waiting for the next";

    /// <summary>The longest line the host reads while waiting for the hello.</summary>
    public const int MaxLineLength = 256;
}
