using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Core.States;
using SandboxRt.Runtime.Relay;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Lifecycle;

/// <summary>runc pause and resume: the container's cgroup freezer in the guest.</summary>
public static class PauseOperation
{
    public static async Task RunAsync(LifecycleContext context, string id, bool pause)
    {
        using var _ = context.Store.LockExisting(id);
        var record = context.Refresh(id);
        var state = ProcessState.Of(record.Status);
        var next = pause ? state.Pause($"container {id}") : state.Resume($"container {id}");
        using var agent = new AgentClient(AgentEndpoints.For(record, context.Store.Directory(id)));
        if (pause)
            await agent.PauseContainerAsync(id);
        else
            await agent.ResumeContainerAsync(id);
        record.Status = next.Status;
        context.Store.Save(record);
    }
}
