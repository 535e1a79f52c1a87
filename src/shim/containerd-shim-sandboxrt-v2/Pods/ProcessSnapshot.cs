namespace SandboxRt.Shim.Pods;

/// <summary>One process's state for the Task API's State call.</summary>
internal sealed record ProcessSnapshot(
    string ContainerId, string ExecId, string Bundle, int Pid, SandboxRt.Runtime.State.ContainerStatus Status, ProcessIo Io, int ExitStatus, DateTime? ExitedAt);
