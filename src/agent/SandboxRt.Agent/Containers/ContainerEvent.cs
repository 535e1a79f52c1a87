namespace SandboxRt.Agent.Containers;

/// <summary>Something the host should hear about: a process exit, or an OOM kill in a container.</summary>
internal sealed record ContainerEvent(string ContainerId, string ExecId, DateTime Timestamp, int? ExitPid = null, int? ExitStatus = null, bool Oom = false);
