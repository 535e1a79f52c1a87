using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Monitoring;
using SandboxRt.Shim.Pods;

namespace SandboxRt.Shim.Daemon;

/// <summary>The pod's report for `sandboxrt monitor` (PodStatsServer): its host processes and each live container's guest cgroup statistics.</summary>
internal static class PodStatsCollector
{
    public static async Task<PodStatsReport> CollectAsync(Pod pod, CancellationToken cancellationToken)
    {
        var record = pod.Record;
        var report = new PodStatsReport { PodId = pod.Id, Shim = record.Shim, Hypervisor = record.Hypervisor, Virtiofsd = record.Virtiofsd };
        if (record.Hypervisor is null)
            return report;
        foreach (var id in pod.LiveContainerIds())
        {
            try
            {
                report.Containers.Add(new PodContainerStats(id, await pod.StatsAsync(id, cancellationToken)));
            }
            catch (TaskNotFoundException)
            {
                // deleted meanwhile: not a failure
            }
            catch (Exception e) when (e is AgentException or InvalidOperationException or IOException or OperationCanceledException)
            {
                report.Failures++;
            }
        }
        return report;
    }
}
