namespace SandboxRt.Runtime.Lifecycle;

/// <summary>An exec that did not start; the exit code is 127 (not found), 126 (not executable) or 1.</summary>
public sealed class ExecFailedException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
