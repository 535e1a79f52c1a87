namespace SandboxRt.Agent.Containers;

/// <summary>A signal for a process that has already exited (a FailedPrecondition the host tells apart: AgentErrorReason.ProcessExited).</summary>
internal sealed class ProcessExitedException(string message) : InvalidOperationException(message);
