namespace SandboxRt.Agent.Containers;

/// <summary>The init process reported a failure: the step (often a spec field) and, for exec, the errno.</summary>
internal sealed class InitFailedException(string step, string message, int? errno) : Exception(message.StartsWith(step, StringComparison.Ordinal) ? message : $"{step}: {message}")
{
    public string Step { get; } = step;
    public int? Errno { get; } = errno;
}
