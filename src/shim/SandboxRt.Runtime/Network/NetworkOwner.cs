using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Network;

/// <summary>
/// A container of the same --root as seen by <see cref="NetworkJoin"/>: its status, whether its relay
/// lives, the network namespaces its VM mirrors (network.json's, and the relay's own when it was made for
/// the container), and the sandbox it runs in when it joined another's network.
/// </summary>
public sealed record NetworkOwner(string Id, ContainerStatus Status, bool RelayAlive, IReadOnlyList<string> NamespaceIdentities)
{
    /// <summary>The relay's pid: `docker run --network container:Y` names /proc/&lt;Y's relay&gt;/ns/net.</summary>
    public int? RelayPid { get; init; }

    /// <summary>The container whose VM this one runs in (<see cref="ContainerRecord.JoinedSandbox"/>).</summary>
    public string? JoinedSandbox { get; init; }
}
