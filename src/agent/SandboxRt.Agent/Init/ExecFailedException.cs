using SandboxRt.Interop;

namespace SandboxRt.Agent.Init;

/// <summary>The workload could not be executed: the errno tells the host whether that is 127 (not found) or 126.</summary>
internal sealed class ExecFailedException(string message, Errno errno) : Exception(message)
{
    public Errno Errno { get; } = errno;
}
