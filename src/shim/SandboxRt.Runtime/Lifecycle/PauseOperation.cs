using SandboxRt.Runtime.Agent;
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
        LifecycleContext.Require(pause ? "pause" : "resume", record, pause ? ContainerStatus.Running : ContainerStatus.Paused);
        using var agent = new AgentClient(AgentEndpoints.For(record, context.Store.Directory(id)));
        if (pause)
            await agent.PauseContainerAsync(id);
        else
            await agent.ResumeContainerAsync(id);
        record.Status = pause ? ContainerStatus.Paused : ContainerStatus.Running;
        context.Store.Save(record);
    }
}
