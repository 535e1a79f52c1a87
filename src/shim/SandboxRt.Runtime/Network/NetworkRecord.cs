namespace SandboxRt.Runtime.Network;

/// <summary>
/// network.json in a sandbox's state directory: what <see cref="PodNetwork"/> changed in the pod's
/// namespace, written before the first change, so that another process can undo it after a crash.
/// </summary>
public sealed class NetworkRecord
{
    public required string NamespacePath { get; init; }
    /// <summary>The namespace's device:inode when attached; Undo touches the path only while it still names that namespace.</summary>
    public string? NamespaceIdentity { get; init; }
    /// <summary>The pod's interfaces that got an ingress qdisc with a redirect to a tap.</summary>
    public List<string> Links { get; init; } = [];
    public List<string> Taps { get; init; } = [];
}
