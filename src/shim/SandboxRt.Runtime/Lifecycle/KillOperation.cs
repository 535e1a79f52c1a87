using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Core.States;
using SandboxRt.Runtime.Relay;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Lifecycle;

/// <summary>runc kill: a signal to the container's init (or, with --all, to every process in it).</summary>
public static class KillOperation
{
    public static async Task RunAsync(LifecycleContext context, string id, int signal, bool all)
    {
        var record = context.Refresh(id);
        ProcessState.Of(record.Status).Kill($"container {id}");
        using var agent = new AgentClient(AgentEndpoints.For(record, context.Store.Directory(id)));
        try
        {
            await agent.SignalAsync(id, "", signal, all);
        }
        catch (AgentException e) when (e.Reason == SandboxRt.Agent.Protocol.AgentErrorReason.ProcessExited)
        {
            throw new ProcessFinishedException($"cannot kill container {id}: it is not running (process already finished)");
        }
    }
}
