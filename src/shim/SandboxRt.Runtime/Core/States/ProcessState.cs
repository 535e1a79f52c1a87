// A container's (or an exec's) life as types, after containerd's runc shim (pkg/process: createdState,
// runningState, pausedState, stoppedState): each state allows the verbs containerd and runc allow in it
// and refuses the rest with an error naming the verb, the process and the state it is in, so no caller
// checks an enum. A verb that changes the state returns the next one; the caller stores it only once the
// guest did what the verb asked. The runc CLI's records (which add "creating") and the shim's processes
// both move through these.
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Core.States;

public abstract class ProcessState
{
    public abstract ContainerStatus Status { get; }

    public static ProcessState Of(ContainerStatus status) => status switch
    {
        ContainerStatus.Creating => CreatingState.Instance,
        ContainerStatus.Created => CreatedState.Instance,
        ContainerStatus.Running => RunningState.Instance,
        ContainerStatus.Paused => PausedState.Instance,
        _ => StoppedState.Instance,
    };

    public virtual ProcessState Start(string what) => throw Refused("start", what);

    public virtual ProcessState Pause(string what) => throw Refused("pause", what);

    public virtual ProcessState Resume(string what) => throw Refused("resume", what);

    /// <summary>A new exec in the container (this is its init's state).</summary>
    public virtual void Exec(string what) => throw Refused("exec in", what);

    /// <summary>A signal: refused with <see cref="ProcessFinishedException"/> once the process has ended (containerd: "process already finished").</summary>
    public virtual void Kill(string what) => throw Refused("kill", what);

    /// <summary>Removal; a live process only by force (which kills it).</summary>
    public virtual void Delete(string what, bool force) => throw Refused("delete", what);

    /// <summary>A verb that needs the process's container in the guest (update, stats, events, ps): created, running or paused.</summary>
    public virtual void Inspect(string verb, string what) => throw Refused(verb, what);

    /// <summary>The process ended (or was removed before it ran).</summary>
    public ProcessState Exited() => StoppedState.Instance;

    public string Name => Status.ToString().ToLowerInvariant();

    public override string ToString() => Name;

    protected InvalidOperationException Refused(string verb, string what) => new($"cannot {verb} {what}: it is {Name}");
}
