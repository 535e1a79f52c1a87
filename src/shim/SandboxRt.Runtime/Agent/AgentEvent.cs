namespace SandboxRt.Runtime.Agent;

/// <summary>A process exit or an OOM kill reported by the agent.</summary>
public sealed record AgentEvent(string ContainerId, string ExecId, DateTime Timestamp, bool Oom, int Pid, int ExitStatus);
