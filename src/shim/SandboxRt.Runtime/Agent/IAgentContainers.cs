using SandboxRt.Oci.Spec;

namespace SandboxRt.Runtime.Agent;

/// <summary>A guest agent's containers: made from an OCI spec, started, paused, updated, measured and removed.</summary>
public interface IAgentContainers
{
    /// <summary>Creates the container; returns its init's pid in the guest.</summary>
    Task<int> CreateContainerAsync(string id, Spec spec, bool stdin, CancellationToken cancellationToken = default);
    Task StartContainerAsync(string id, CancellationToken cancellationToken = default);
    Task RemoveContainerAsync(string id, bool force, CancellationToken cancellationToken = default);
    Task PauseContainerAsync(string id, CancellationToken cancellationToken = default);
    Task ResumeContainerAsync(string id, CancellationToken cancellationToken = default);
    Task UpdateContainerAsync(string id, LinuxResources resources, CancellationToken cancellationToken = default);
    Task<ContainerStats> StatsAsync(string id, CancellationToken cancellationToken = default);
}
