using Microsoft.Extensions.Logging;
using SandboxRt.Interop;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Core.States;
using SandboxRt.Runtime.Hooks;
using SandboxRt.Runtime.Relay;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Lifecycle;

/// <summary>
/// runc delete: everything the container had on the host goes (relays, the VM, virtiofsd, the shared
/// directory's mounts, sockets, the state directory), then the poststop hooks create recorded run. A running container
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
            ProcessState.Of(record.Status).Delete($"container {id}", force);
            await RemoveFromHostAsync(context, record, store.Directory(id));
        }
        store.ForgetLock(id);
        try
        {
            await HookRunner.RunAsync("poststop", RecordedHooks.PoststopOf(record), OciStates.Of(record, ContainerStatus.Stopped));
        }
        catch (SpecValidationException)
        {
            // a record from before records kept their hooks, and the bundle is gone already: there are no hooks to run
        }
        catch (HookFailedException e)
        {
            context.Log.LogWarning("{Error}", e.Message); // poststop failures are logged, not fatal (runtime.md)
        }
    }

    /// <summary>
    /// Everything the record names goes (<see cref="Core.SandboxRemains"/>): relays, the VM, virtiofsd,
    /// taps, the host cgroup, mounts and the state directory. Also create's clean-up when its relay died
    /// before reporting (the VM it booted is in the record, not in any live process).
    /// A container that joined another's sandbox (docker run --network container:X) first leaves it: its
    /// container goes from X's VM, its files from X's shared directory, and the VM shrinks back
    /// (<see cref="Sandboxes.JoinedSandbox.LeaveAsync"/>); X's VM stays. A container whose VM came from the
    /// VM cache (its JoinedSandbox is an entry that names it back) removes the entry, VM and all.
    /// </summary>
    internal static async Task RemoveFromHostAsync(LifecycleContext context, ContainerRecord record, string directory)
    {
        if (VmCache.CliVmCache.ClaimedEntry(context.Store, record) is { } entry)
        {
            // the VM came from the cache: it is this container's alone, and goes with the entry that served it
            await VmCache.CliVmCache.RemoveEntryAsync(context.Store, entry, context.Config, [.. record.Execs.Values, record.Relay]);
        }
        else if (record.JoinedSandbox is { } sandbox)
        {
            // Y's relays first. Once X's relay is gone, Y's relay stops Y over X's channel, which takes one
            // client at a time: it and the removal below took the channel from each other until the
            // relay's call gave up (36 s for `delete --force` right after a kill, 2026-12-07).
            await Core.SandboxRemains.StopServersAsync([.. record.Execs.Values, record.Relay]);
            IAgent? agent = null;
            try
            {
                // X's endpoint, not Y's relay: Y's relay ends with Y's process, and one that was alive
                // when the endpoint was chosen could be gone by the call (bench, 2026-12-05: Y stayed in
                // X's VM after `delete --force` right after its /bin/true exited)
                agent = new AgentClient(AgentEndpoints.For(context.Store.Load(sandbox), context.Store.Directory(sandbox)));
            }
            catch (Exception e) when (e is ContainerNotFoundException or InvalidDataException)
            {
                // X is gone (its VM and shared directory with it), or its record is unreadable: LeaveAsync says which
            }
            using (agent)
                await Sandboxes.JoinedSandbox.LeaveAsync(context.Store, sandbox, record.Id, context.Config, agent, context.Log);
        }
        await Core.SandboxRemains.RemoveAsync(directory, record.Hypervisor, record.Virtiofsd, TimeSpan.FromSeconds(context.Config.ShutdownGraceSeconds),
            [.. record.Execs.Values, record.Relay]);
    }
}
