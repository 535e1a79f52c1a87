using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Core.States;

/// <summary>The runc CLI's container while its relay boots the VM: only delete (create's clean-up, or delete --force).</summary>
public sealed class CreatingState : ProcessState
{
    public static readonly CreatingState Instance = new();

    public override ContainerStatus Status => ContainerStatus.Creating;

    public override void Delete(string what, bool force)
    {
    }
}
