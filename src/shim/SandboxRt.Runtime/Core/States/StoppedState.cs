using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Core.States;

/// <summary>Ended: only delete; a signal is refused as containerd refuses it ("process already finished").</summary>
public sealed class StoppedState : ProcessState
{
    public static readonly StoppedState Instance = new();

    public override ContainerStatus Status => ContainerStatus.Stopped;

    public override void Kill(string what) => throw new ProcessFinishedException($"cannot kill {what}: it is not running (process already finished)");

    public override void Delete(string what, bool force)
    {
    }
}
