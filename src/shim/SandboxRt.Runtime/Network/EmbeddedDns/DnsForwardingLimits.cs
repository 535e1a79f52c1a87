namespace SandboxRt.Runtime.Network.EmbeddedDns;

/// <summary>What the host does at most for a guest's DNS queries (docs/security.md, "What the host does for the guest").</summary>
public sealed record DnsForwardingLimits
{
    /// <summary>The bounds the relay uses.</summary>
    public static readonly DnsForwardingLimits Default = new();

    /// <summary>A query longer than this ends the forwarding: the agent never sends one (RFC 6891's usual EDNS UDP size).</summary>
    public int MaxQueryBytes { get; init; } = 4096;

    /// <summary>A DNS header's size: a shorter query ends the forwarding.</summary>
    public int MinQueryBytes { get; init; } = 12;

    /// <summary>Queries sent to the embedded server and not answered yet; more are dropped (clients retry).</summary>
    public int MaxInFlight { get; init; } = 32;

    /// <summary>Sustained queries per second; beyond it, and beyond <see cref="Burst"/>, queries are dropped.</summary>
    public double QueriesPerSecond { get; init; } = 100;

    public int Burst { get; init; } = 200;

    /// <summary>How long one query waits for the embedded server's answer before it is given up (no answer goes back).</summary>
    public TimeSpan UpstreamTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
