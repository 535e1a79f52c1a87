namespace SandboxRt.Shim.Pods;

/// <summary>The task events containerd expects from a shim, in the order they can happen.</summary>
internal enum TaskEventKind
{
    Create,
    Start,
    ExecAdded,
    ExecStarted,
    Paused,
    Resumed,
    Oom,
    Exit,
    Delete,
}
