using SandboxRt.Runtime.Network;

namespace SandboxRt.Runtime.Agent;

/// <summary>The guest's network: the pod's interfaces, routes and neighbours mirrored into it.</summary>
public interface IAgentNetwork
{
    /// <summary>Gives the guest NIC with the wanted MAC the wanted name, MTU and addresses; returns what the guest reports.</summary>
    Task<PodInterface> UpdateInterfaceAsync(PodInterface wanted, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<PodRoute>> UpdateRoutesAsync(IEnumerable<PodRoute> routes, CancellationToken cancellationToken = default);
    /// <summary>Deletes routes from the guest (those it no longer has are skipped); returns the guest's routes afterwards.</summary>
    Task<IReadOnlyList<PodRoute>> RemoveRoutesAsync(IEnumerable<PodRoute> routes, CancellationToken cancellationToken = default);
    Task AddNeighboursAsync(IEnumerable<PodNeighbour> neighbours, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<PodInterface>> ListInterfacesAsync(CancellationToken cancellationToken = default);
    Task<IReadOnlyList<PodRoute>> ListRoutesAsync(CancellationToken cancellationToken = default);
}
