using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Core.States;

/// <summary>Created, not started: start, a signal (runc kills a created container), delete.</summary>
public sealed class CreatedState : ProcessState
{
    public static readonly CreatedState Instance = new();

    public override ContainerStatus Status => ContainerStatus.Created;

    public override ProcessState Start(string what) => RunningState.Instance;

    public override void Kill(string what)
    {
    }

    public override void Inspect(string verb, string what)
    {
    }

    public override void Delete(string what, bool force)
    {
    }
}
