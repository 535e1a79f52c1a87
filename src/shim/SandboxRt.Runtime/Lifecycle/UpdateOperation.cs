using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Core.States;
using SandboxRt.Runtime.Relay;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Lifecycle;

/// <summary>runc update: new linux.resources for a live container's cgroup in the guest.</summary>
public static class UpdateOperation
{
    public static async Task RunAsync(LifecycleContext context, string id, LinuxResources resources)
    {
        using var _ = context.Store.LockExisting(id);
        var record = context.Refresh(id);
        ProcessState.Of(record.Status).Inspect("update", $"container {id}");
        using var agent = new AgentClient(AgentEndpoints.For(record, context.Store.Directory(id)));
        await agent.UpdateContainerAsync(id, resources);
    }
}
