using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Relay;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Lifecycle;

/// <summary>
/// runc ps. The container's processes live in the guest, so two views exist: the table lists them with
/// their guest pids (as ps inside the VM sees them); JSON lists host pids, which is what callers use
/// them for (Docker's `top` matches them against the host's ps): the relays that stand for the
/// container's init and its exec'd processes.
/// </summary>
public static class PsOperation
{
    public static IReadOnlyList<int> HostPids(LifecycleContext context, string id)
    {
        var record = context.Refresh(id);
        if (record.Status == ContainerStatus.Stopped)
            return [];
        return record.Execs.Values.Append(record.Relay).Where(r => r is { IsAlive: true }).Select(r => r!.Pid).Order().ToList();
    }

    public static async Task<IReadOnlyList<GuestProcess>> GuestProcessesAsync(LifecycleContext context, string id)
    {
        var record = context.Refresh(id);
        if (record.Status is ContainerStatus.Stopped or ContainerStatus.Creating)
            return [];
        using var agent = new AgentClient(AgentEndpoints.For(record, context.Store.Directory(id)));
        return await agent.ListProcessesAsync(id);
    }
}
