using Microsoft.Extensions.Logging;
using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Core;
using SandboxRt.Runtime.HostCgroups;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.Sandboxes;

namespace SandboxRt.Shim.Pods;

/// <summary>
/// The size of a pod's VM: the configured default plus every container's limits (<see cref="VmSize.ForPod"/>,
/// Kata's default_vcpus/default_memory semantics). Where the hypervisor can resize, the VM boots at the
/// default (so from the default-size VM template), grows by hot-plug when a container with limits joins or
/// raises them, and shrinks when one leaves or lowers them; elsewhere it boots at its first container's size.
/// </summary>
internal sealed class PodSizing(string podId, HypervisorConfig config, ILogger log)
{
    public VmSize BootSize(Spec first) =>
        HypervisorFactory.Driver(config.Hypervisor).CanResize(config) ? VmSize.For((LinuxResources?)null, config) : VmSize.For(first, config);

    /// <summary>Grows the VM for the pod's containers' limits (a no-op when it is big enough).</summary>
    public Task GrowAsync(IGuestSandbox sandbox, IEnumerable<LinuxResources?> limits, CancellationToken cancellationToken) =>
        sandbox.GrowAsync(VmSize.ForPod(limits, config), cancellationToken);

    /// <summary>
    /// Pins the running VM to the host CPUs of <paramref name="cpusetLimits"/> after a container went: a
    /// failure is a warning, as a shrink's.
    /// </summary>
    public void Repin(IGuestSandbox? sandbox, IEnumerable<LinuxResources?> cpusetLimits)
    {
        if (sandbox is null || sandbox.VmExited.IsCompleted)
            return;
        try
        {
            sandbox.PinHostCpus(HostCpuset.ForPod(cpusetLimits));
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException)
        {
            log.LogWarning("pod {Pod}: could not pin the VM to the host CPUs its containers name: {Error}", podId, e.Message);
        }
    }

    /// <summary>
    /// Shrinks the running VM toward the default plus <paramref name="limits"/>. Its failure is a warning:
    /// the verb that got here (delete, update, a failed create) has already happened. Not cancelled by the
    /// request: a shrink half done is still accounted for, but bounded by the sandbox.
    /// </summary>
    public async Task ShrinkAsync(IGuestSandbox? sandbox, IEnumerable<LinuxResources?> limits)
    {
        if (sandbox is null || sandbox.VmExited.IsCompleted)
            return; // a create that failed before the VM ran has nothing to give back
        var target = VmSize.ForPod(limits, config);
        try
        {
            await sandbox.ShrinkAsync(target, CancellationToken.None);
        }
        catch (Exception e) when (e is HypervisorException or AgentException or IOException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            log.LogWarning("pod {Pod}: could not shrink the VM to {Vcpus} vCPUs and {Memory} MiB: {Error}", podId, target.Vcpus, target.MemoryMib, e.Message);
        }
    }
}
