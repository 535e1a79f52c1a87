using SandboxRt.Runtime.Hypervisors;

namespace SandboxRt.Runtime.Network;

/// <summary>
/// What changed in a pod's network namespace since its VM was given it (PodNetwork.FollowChanges): NICs
/// for the interfaces that appeared (their taps are the caller's until it releases them), those
/// interfaces, routes and neighbours not seen before, interfaces that went, and interfaces with an
/// address that cannot be mirrored (by name and kind); routes that went from interfaces still there
/// (<paramref name="GoneRoutes"/>: those of an interface that went go with its NIC).
/// </summary>
public sealed record NetworkChange(IReadOnlyList<NetworkDevicePlan> Added, IReadOnlyList<PodInterface> AddedInterfaces, IReadOnlyList<PodRoute> NewRoutes,
    IReadOnlyList<PodNeighbour> NewNeighbours, IReadOnlyList<PodInterface> Removed, IReadOnlyList<string> Unmirrorable, IReadOnlyList<PodRoute> GoneRoutes)
{
    public bool IsEmpty => Added.Count == 0 && NewRoutes.Count == 0 && NewNeighbours.Count == 0 && Removed.Count == 0 && Unmirrorable.Count == 0 && GoneRoutes.Count == 0;

    /// <summary>Closes our copies of the new taps once the hypervisor holds its own.</summary>
    public void ReleaseTaps()
    {
        foreach (var device in Added)
            device.Tap.Dispose();
    }
}
