using Microsoft.Extensions.Logging;
using SandboxRt.Interop;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Hooks;
using SandboxRt.Runtime.Relay;
using SandboxRt.Runtime.State;
using SandboxRt.Runtime.Storage;

namespace SandboxRt.Runtime.Lifecycle;

/// <summary>
/// runc delete: everything the container had on the host goes (relays, the VM, virtiofsd, the shared
/// directory's mounts, sockets, the state directory), then the poststop hooks run. A running container
/// needs --force, which kills it first. Deleting what does not exist is an error, except with --force.
/// </summary>
public static class DeleteOperation
{
    public static async Task RunAsync(LifecycleContext context, string id, bool force)
    {
        var store = context.Store;
        ContainerRecord record;
        FileLock held;
        try
        {
            held = store.LockExisting(id);
        }
        catch (ContainerNotFoundException) when (force)
        {
            return; // runc delete --force of what is not there succeeds
        }
        using (held)
        {
            record = context.Refresh(id);
            if (record.Status is ContainerStatus.Running or ContainerStatus.Paused && !force)
                throw new InvalidOperationException($"cannot delete container {id} that is not stopped: {record.Status.ToString().ToLowerInvariant()}");
            await RemoveFromHostAsync(context, record, store.Directory(id));
        }
        store.ForgetLock(id);
        try
        {
            var spec = SpecLoader.LoadBundle(record.Bundle);
            await HookRunner.RunAsync("poststop", spec.Hooks?.Poststop, OciStates.Of(record, ContainerStatus.Stopped));
        }
        catch (SpecValidationException)
        {
            // the bundle is gone already: there are no hooks to run
        }
        catch (HookFailedException e)
        {
            context.Log.LogWarning("{Error}", e.Message); // poststop failures are logged, not fatal (runtime.md)
        }
    }

    /// <summary>
    /// Everything the record names goes: relays, the VM, virtiofsd, the pod network's taps, the host
    /// cgroup, the shared directory's mounts and the state directory. Also create's clean-up when its
    /// relay died before reporting (the VM it booted is in the record, not in any live process).
    /// </summary>
    internal static async Task RemoveFromHostAsync(LifecycleContext context, ContainerRecord record, string directory)
    {
        foreach (var relay in record.Execs.Values.Append(record.Relay))
            if (relay is { IsAlive: true })
                ChildProcesses.Signal(relay.Pid, 9);
        await Hypervisors.HypervisorFactory.StopDetachedAsync(record.Hypervisor, [record.Virtiofsd], directory, TimeSpan.FromSeconds(context.Config.ShutdownGraceSeconds));
        Network.PodNetwork.DetachRecorded(directory);
        foreach (var relay in record.Execs.Values.Append(record.Relay))
            if (relay is not null)
                await Hypervisors.DetachedProcess.WaitGoneAsync(relay, TimeSpan.FromSeconds(2));
        HostCgroups.HostCgroup.RemoveRecorded(directory); // once the VM and the relays have left it
        SharedDirectory.RemoveFrom(directory);
        PrivateFiles.RemoveTree(directory);
    }
}
