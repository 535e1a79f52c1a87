using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Core.States;
using SandboxRt.Runtime.Relay;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Lifecycle;

/// <summary>
/// runc kill: a signal to the container's init (or, with --all, to every process in it).
/// A container Y that joined X's VM (NetworkJoin) is reached through X's relay; once that is gone, Y's
/// relay stops Y and exits (JoinedSandbox.KillOrphanAsync). A kill in between (podman pod stop signals a
/// pod's containers all at once, its infra X among them) cannot reach Y: it waits for Y's relay to end
/// and says Y is not running, as runc says of an exited container. Before, it failed while Y's relay
/// still ran, so podman, which then looks for that pid, failed the stop (exit 125).
/// </summary>
public static class KillOperation
{
    /// <summary>How long a kill of such a container waits for its relay: X's relay's end, then the stop over the direct channel (30 s at most).</summary>
    private static readonly TimeSpan OrphanedRelayBound = TimeSpan.FromSeconds(45);

    /// <summary>How long it waits for X's relay to be gone: an unreachable agent with X's relay running is another failure, reported as it is.</summary>
    private static readonly TimeSpan SandboxRelayBound = TimeSpan.FromSeconds(5);

    public static async Task RunAsync(LifecycleContext context, string id, int signal, bool all)
    {
        var record = context.Refresh(id);
        ProcessState.Of(record.Status).Kill($"container {id}");
        using var agent = new AgentClient(AgentEndpoints.For(record, context.Store.Directory(id)));
        Exception unreachable;
        try
        {
            await agent.SignalAsync(id, "", signal, all);
            return;
        }
        catch (AgentException e) when (e.Reason == SandboxRt.Agent.Protocol.AgentErrorReason.ProcessExited)
        {
            throw new ProcessFinishedException($"cannot kill container {id}: it is not running (process already finished)");
        }
        catch (Exception e) when (e is AgentException or IOException or OperationCanceledException or Channels.AgentPeerGoneException && record.JoinedSandbox is not null)
        {
            unreachable = e;
        }
        // X's relay may still be on its way out (its proxy closes first): its exit, then Y's
        if (!await RelayExit.WaitAsync(RelayOf(context.Store, record.JoinedSandbox!), SandboxRelayBound) || !await RelayExit.WaitAsync(record.Relay, OrphanedRelayBound))
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(unreachable);
        throw new ProcessFinishedException($"cannot kill container {id}: it is not running (container {record.JoinedSandbox}, whose VM it shared, exited, and it was stopped with it)");
    }

    private static ProcessIdentity? RelayOf(StateStore store, string id)
    {
        try
        {
            return store.Load(id).Relay;
        }
        catch (Exception e) when (e is ContainerNotFoundException or InvalidDataException)
        {
            return null;
        }
    }
}
