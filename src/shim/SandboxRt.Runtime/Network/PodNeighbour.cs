using System.Net;

namespace SandboxRt.Runtime.Network;

/// <summary>A static (permanent) neighbour entry of the pod's network namespace.</summary>
public sealed record PodNeighbour(string Device, IPAddress Address, byte[] Mac)
{
    /// <summary>The same entry: record equality compares the MAC's array, not its bytes.</summary>
    public bool SameAs(PodNeighbour other) => Device == other.Device && Address.Equals(other.Address) && Mac.AsSpan().SequenceEqual(other.Mac);
}
