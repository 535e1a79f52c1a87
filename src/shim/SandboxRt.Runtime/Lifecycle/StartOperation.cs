using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Core.States;
using SandboxRt.Runtime.Hooks;
using SandboxRt.Runtime.Relay;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Lifecycle;

/// <summary>runc start: the created container's process execs; then the poststart hooks create recorded run on the host.</summary>
public static class StartOperation
{
    public static async Task RunAsync(LifecycleContext context, string id)
    {
        ContainerRecord record;
        using (context.Store.LockExisting(id))
        {
            record = context.Refresh(id);
            var next = ProcessState.Of(record.Status).Start($"container {id}");
            using var agent = new AgentClient(AgentEndpoints.For(record, context.Store.Directory(id)));
            await agent.StartContainerAsync(id);
            record.Status = next.Status;
            context.Store.Save(record);
        }
        await HookRunner.RunAsync("poststart", RecordedHooks.PoststartOf(record), OciStates.Of(record));
    }
}
