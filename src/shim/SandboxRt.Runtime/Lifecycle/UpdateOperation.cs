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
/// container's VM is the default plus its limits (VmSize), and follows them both ways as the shim's pods
/// do (<see cref="VmSizer"/>, through the VM's control socket): limits that rise grow the VM first (vCPUs
/// and memory hot-plugged, brought online by the agent), then the cgroup changes; limits that fall (or go)
/// change the cgroup first, then what the VM has beyond them is unplugged. A VM that cannot grow fails the
/// update before the cgroup changes; memory the guest keeps fails it after, naming every device kept (the
/// cgroup has the new limits by then). vCPUs stay plugged under TCG (QemuHotplug says why): a warning. A
/// driver that cannot resize a VM another process started (IHypervisorDriver.CanResize: microvm, Cloud
/// Hypervisor for now) booted it at its full size: there, falling limits change only the cgroup.
/// A VM other containers joined (Sandboxes/JoinedSandbox.cs) is sized by all their limits together.
/// New CPUs or memory nodes (--cpuset-cpus, --cpuset-mems) pin the VM on the host (HostCpuset).
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
        var limits = SizingLimits.Merge(resources, record.Limits, Created(record.Bundle));
        // a VM that containers joined (docker run --network container:X) is sized by all of them, as a pod
        var sandboxId = record.JoinedSandbox ?? id;
        var target = VmSize.ForPod([.. JoinedSandboxSize.Limits(context.Store, sandboxId, except: id), limits.AsResources()], context.Config);
        var vmm = VmmRecord.Load(context.Store.Directory(sandboxId));
        var driver = HypervisorFactory.Driver(vmm.Driver);
        // the host CPUs the VM runs on (--cpuset-cpus) first: a list the host has not fails the update before the VM grows for it
        JoinedSandboxSize.Cpuset(context.Store, sandboxId, except: id, with: limits.AsResources()).ApplyTo(HostCgroups.HostCgroup.Load(context.Store.Directory(sandboxId)));
        // this process does not know the VM's size: the growth (a no-op when it is big enough) learns it
        var vm = new VmSizer(id, new DetachedVmHotplug(driver, vmm), agent, default, context.Log);
        await vm.GrowAsync(target);
        await agent.UpdateContainerAsync(id, resources);
        record.Limits = limits;
        context.Store.Save(record);
        if (!driver.CanResize(context.Config))
            return; // it booted at its full size (ContainerHost): nothing was hot-plugged that could go
        var kept = await vm.ShrinkAsync(target);
        if (ShrinkFailure(id, vm.Size, target, kept) is { } failure)
            throw new HypervisorException(failure);
    }

    /// <summary>
    /// Why the update fails after its shrink, or null: memory the guest kept above what the new limits need
    /// fails it, naming each device; a vCPU kept under TCG (policy, not the guest's refusal) with the memory
    /// given back only warns, as in the shim.
    /// </summary>
    internal static string? ShrinkFailure(string id, VmSize size, VmSize target, IReadOnlyList<string> kept) =>
        kept.Count > 0 && size.MemoryMib > target.MemoryMib
            ? $"update container {id}: the cgroup has the new limits, but the VM keeps {size.MemoryMib} MiB of memory where they need {target.MemoryMib} MiB: " +
              $"the guest kept {string.Join("; ", kept)}"
            : null;

    /// <summary>The bundle's limits, or none when the bundle is gone.</summary>
    private static LinuxResources? Created(string bundle)
    {
        try
        {
            return SpecLoader.LoadBundle(bundle).Linux?.Resources;
        }
        catch (SpecValidationException)
        {
            return null; // the bundle is gone: the update's own limits are all there is
        }
    }
}
