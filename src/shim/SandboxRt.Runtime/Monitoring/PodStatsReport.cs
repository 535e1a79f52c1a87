using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Monitoring;

/// <summary>
/// What a pod's shim (containerd-shim-sandboxrt-v2) tells the monitor on its stats socket: the pod, the
/// host processes serving it, and the guest cgroup statistics of each of its containers that runs.
/// </summary>
public sealed class PodStatsReport
{
    public string PodId { get; set; } = "";
    public ProcessIdentity? Shim { get; set; }
    public ProcessIdentity? Hypervisor { get; set; }
    public ProcessIdentity? Virtiofsd { get; set; }
    public List<PodContainerStats> Containers { get; set; } = [];

    /// <summary>Containers whose agent did not answer in time (counted as errors of phase "stats").</summary>
    public int Failures { get; set; }
}
