using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Core.States;

/// <summary>Running: pause, exec, signals; delete only by force.</summary>
public sealed class RunningState : ProcessState
{
    public static readonly RunningState Instance = new();

    public override ContainerStatus Status => ContainerStatus.Running;

    public override ProcessState Pause(string what) => PausedState.Instance;

    public override void Exec(string what)
    {
    }

    public override void Kill(string what)
    {
    }

    public override void Inspect(string verb, string what)
    {
    }

    public override void Delete(string what, bool force)
    {
        if (!force)
            throw new InvalidOperationException($"cannot delete {what} that is not stopped: it is {Name} (kill it first, or use --force)");
    }
}
