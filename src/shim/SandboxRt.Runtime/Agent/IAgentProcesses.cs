using SandboxRt.Oci.Spec;

namespace SandboxRt.Runtime.Agent;

/// <summary>A guest agent's processes: execs into a container, signals, exits, listings. An empty exec id means the container's init.</summary>
public interface IAgentProcesses
{
    /// <summary>Starts an exec in a container; returns its pid in the guest.</summary>
    Task<int> ExecAsync(string id, string execId, Process process, bool stdin, CancellationToken cancellationToken = default);
    Task SignalAsync(string id, string execId, int signal, bool all, CancellationToken cancellationToken = default);
    /// <summary>
    /// Waits until the process exits. <paramref name="awaitStart"/>: the call goes out together with the
    /// process's ExecAsync, not after it (a pipelined exec): the agent waits for the exec to start.
    /// </summary>
    Task<ProcessExit> WaitAsync(string id, string execId, bool awaitStart = false, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<GuestProcess>> ListProcessesAsync(string id, CancellationToken cancellationToken = default);
}
