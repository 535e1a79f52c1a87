using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Core.States;

/// <summary>Frozen: resume, signals (delivered once thawed; SIGKILL at once); delete only by force. No exec: runc refuses one in a paused container.</summary>
public sealed class PausedState : ProcessState
{
    public static readonly PausedState Instance = new();

    public override ContainerStatus Status => ContainerStatus.Paused;

    public override ProcessState Resume(string what) => RunningState.Instance;

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
