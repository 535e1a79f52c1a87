using SandboxRt.Oci.Spec;

namespace SandboxRt.Runtime.Agent;

/// <summary>A guest agent's processes: execs into a container, signals, exits, listings. An empty exec id means the container's init.</summary>
public interface IAgentProcesses
{
    /// <summary>Starts an exec in a container; returns its pid in the guest.</summary>
    Task<int> ExecAsync(string id, string execId, Process process, bool stdin, CancellationToken cancellationToken = default);
    Task SignalAsync(string id, string execId, int signal, bool all, CancellationToken cancellationToken = default);
    Task<ProcessExit> WaitAsync(string id, string execId, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<GuestProcess>> ListProcessesAsync(string id, CancellationToken cancellationToken = default);
}
