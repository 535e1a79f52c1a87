// One container in a sandbox's guest, from create to exit: the flow `sandboxrt run`, the runc CLI's relay
// (create) and the shim's pods share, so that they cannot disagree.
//
//   CreateAsync: the storage places the rootfs and bind sources (in a place of this container's own, not
//                reused by a later container with the same id) and rewrites the spec → the agent's
//                CreateContainer, cut short when the VM dies meanwhile (not after the agent client's
//                reconnecting) → a failure removes what was placed.
//   StartAsync:  the init execs.
//   WaitAsync:   the process's exit from the agent, or the VM's death: then ProcessExit.VmDied (137, as
//                if SIGKILLed), the one status every client reports for it.
//   RemoveAsync: the container goes from the guest (by force; skipped when the VM is gone) and its files
//                from the storage.
// What differs per client stays with it: stdio (the caller's descriptors, the relay's fifos or console
// socket, containerd's fifos), hooks and records (the CLI's state.json, the shim's pod record), events.
using Microsoft.Extensions.Logging;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Hypervisors;

namespace SandboxRt.Runtime.Core;

public sealed class GuestContainer
{
    private readonly IGuestSandbox _sandbox;

    private readonly AttachedContainer _files;

    private GuestContainer(IGuestSandbox sandbox, AttachedContainer files, int guestPid)
    {
        _sandbox = sandbox;
        _files = files;
        Id = files.ContainerId;
        GuestPid = guestPid;
    }

    public string Id { get; }

    /// <summary>The container's init as the guest sees it (a pod's other containers join its namespaces by it).</summary>
    public int GuestPid { get; }

    public static async Task<GuestContainer> CreateAsync(IGuestSandbox sandbox, ContainerLaunch launch, CancellationToken cancellationToken)
    {
        var storage = sandbox.Storage;
        var files = storage.Attach(launch.Spec, launch.Bundle, launch.Id, launch.NetworkMirrored);
        try
        {
            using var vmGone = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var create = sandbox.Agent.CreateContainerAsync(launch.Id, files.GuestSpec, launch.Stdin, vmGone.Token);
            if (await Task.WhenAny(create, sandbox.VmExited) != create)
            {
                vmGone.Cancel();
                _ = create.ContinueWith(t => t.Exception, TaskScheduler.Default); // its failure is the VM's
                throw new HypervisorException($"the VM stopped during create: {await sandbox.VmExited}");
            }
            return new GuestContainer(sandbox, files, await create);
        }
        catch
        {
            storage.Detach(files);
            throw;
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => _sandbox.Agent.StartContainerAsync(Id, cancellationToken);

    /// <summary>
    /// How the init (<paramref name="execId"/> "") or an exec ended: its status from the agent, or
    /// <see cref="ProcessExit.VmDied"/> when the VM went away first or the agent stopped answering.
    /// </summary>
    public async Task<ProcessExit> WaitAsync(string execId, ILogger log, CancellationToken cancellationToken)
    {
        var wait = _sandbox.Agent.WaitAsync(Id, execId, cancellationToken: cancellationToken);
        var first = await Task.WhenAny(wait, _sandbox.VmExited);
        if (first == wait && wait.IsCompletedSuccessfully)
            return wait.Result;
        var what = execId.Length == 0 ? $"container {Id}" : $"exec {execId} of container {Id}";
        if (first != wait)
            log.LogWarning("{Process}: the VM went away under it ({How}); reporting exit status {Status}", what, await _sandbox.VmExited, ProcessExit.VmDiedStatus);
        else if (!cancellationToken.IsCancellationRequested)
            log.LogWarning("{Process}: waiting for it failed ({Error}); reporting exit status {Status}", what, wait.Exception?.InnerException?.Message, ProcessExit.VmDiedStatus);
        return ProcessExit.VmDied(DateTime.UtcNow);
    }

    /// <summary>Removes the container from the guest (by force) and its files from the storage. Never throws for a guest that cannot answer.</summary>
    public async Task RemoveAsync(ILogger log)
    {
        if (!_sandbox.VmExited.IsCompleted)
        {
            try
            {
                await _sandbox.Agent.RemoveContainerAsync(Id, force: true, CancellationToken.None);
            }
            catch (Exception e) when (e is AgentException or IOException or OperationCanceledException or InvalidOperationException)
            {
                log.LogDebug("container {Id}: removing it in the guest: {Error}", Id, e.Message);
            }
        }
        _sandbox.Storage.Detach(_files);
    }
}
