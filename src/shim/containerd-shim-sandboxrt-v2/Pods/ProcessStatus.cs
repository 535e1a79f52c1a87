namespace SandboxRt.Shim.Pods;

/// <summary>The life of a task's process as containerd sees it.</summary>
internal enum ProcessStatus
{
    Created,
    Running,
    Paused,
    Stopped,
}
