using Microsoft.Extensions.Logging;
using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Core.States;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.Relay;
using SandboxRt.Runtime.Sandboxes;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Lifecycle;

/// <summary>
/// runc update (`docker update`): new linux.resources for a live container's cgroup in the guest. A
/// container's VM is the default plus its limits (VmSize), so limits that grow grow the VM first: vCPUs
/// and memory hot-plugged through the VM's control socket, brought online by the agent; then the cgroup.
/// The VM never shrinks (lower limits change only the cgroup). A VM that cannot grow fails the update,
/// naming why, before the cgroup changes.
/// </summary>
public static class UpdateOperation
{
    public static async Task RunAsync(LifecycleContext context, string id, LinuxResources resources)
    {
        using var _ = context.Store.LockExisting(id);
        var record = context.Refresh(id);
        ProcessState.Of(record.Status).Inspect("update", $"container {id}");
        var directory = context.Store.Directory(id);
        using var agent = new AgentClient(AgentEndpoints.For(record, directory));
        var target = VmSize.For(Effective(resources, record.Bundle), context.Config);
        var vmm = VmmRecord.Load(directory);
        await HypervisorFactory.Driver(vmm.Driver).GrowDetachedAsync(vmm, target.Vcpus, target.MemoryMib);
        var (cpus, onlineMib) = await agent.OnlineCpuMemAsync(target.Vcpus, target.MemoryMib);
        context.Log.LogDebug("update {Id}: the VM has {Cpus} vCPUs and {Memory} MiB online", id, cpus, onlineMib);
        await agent.UpdateContainerAsync(id, resources);
    }

    /// <summary>runc update sends only what changes: the rest of the limits are still the bundle's.</summary>
    private static LinuxResources Effective(LinuxResources update, string bundle)
    {
        LinuxResources? created = null;
        try
        {
            created = SpecLoader.LoadBundle(bundle).Linux?.Resources;
        }
        catch (SpecValidationException)
        {
            // the bundle is gone: the update's own limits are all there is
        }
        return new LinuxResources { Memory = update.Memory ?? created?.Memory, Cpu = update.Cpu ?? created?.Cpu };
    }
}
