namespace SandboxRt.Runtime.Network.EmbeddedDns;

/// <summary>Why a DNS forwarding ended.</summary>
public enum DnsForwardingEnd
{
    /// <summary>The host stopped it (the container exited).</summary>
    Stopped,
    /// <summary>The agent ended the call, or the connection to it went away.</summary>
    AgentEnded,
    /// <summary>The guest sent something no honest agent sends; the forwarding was ended, with a log line.</summary>
    Malformed,
}
