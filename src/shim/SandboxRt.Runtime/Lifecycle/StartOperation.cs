using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Core.States;
using SandboxRt.Runtime.Hooks;
using SandboxRt.Runtime.Relay;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Lifecycle;

/// <summary>
/// runc start: the created container's process execs; then the poststart hooks create recorded run on the host.
/// A start whose exec failed (E2BIG, ENOEXEC: what create's checks cannot see) has ended the container's
/// process: its relay, the process the engine knows, exits too, and `start` waits for that before it
/// fails. containerd's runc shim keeps a task whose start failed "created" until that pid exits, and
/// Docker deletes the task as soon as start fails: with the relay still alive (it records the exit under
/// the container's lock, which start held to its end) the delete was refused ("task must be stopped
/// before deletion"), and `docker run --rm` forgot the container while its VM ran on.
/// </summary>
public static class StartOperation
{
    /// <summary>How long a failed start waits for the relay to exit (it drains output for at most 5 s).</summary>
    private static readonly TimeSpan RelayExitBound = TimeSpan.FromSeconds(10);

    public static async Task RunAsync(LifecycleContext context, string id)
    {
        ContainerRecord record;
        AgentException? execFailed = null;
        using (context.Store.LockExisting(id))
        {
            record = context.Refresh(id);
            var next = ProcessState.Of(record.Status).Start($"container {id}");
            using var agent = new AgentClient(AgentEndpoints.For(record, context.Store.Directory(id)));
            try
            {
                await agent.StartContainerAsync(id);
                record.Status = next.Status;
                context.Store.Save(record);
            }
            catch (AgentException e) when (e.IsExecFailure)
            {
                execFailed = e;
            }
        }
        if (execFailed is not null)
        {
            await RelayExit.WaitAsync(record.Relay, RelayExitBound); // outside the lock: the relay records the exit under it
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(execFailed);
        }
        await HookRunner.RunAsync("poststart", RecordedHooks.PoststartOf(record), OciStates.Of(record));
    }
}
