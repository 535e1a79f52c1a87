using SandboxRt.Interop;

namespace SandboxRt.Runtime.Hypervisors;

/// <summary>
/// A VMM's process as <see cref="VmmProcess"/> sees it: its pid, its exit, and signals that are sent only
/// while it is not reaped (<see cref="Processes.ChildProcess"/>'s rule). The unit tests' fake exits when told.
/// </summary>
internal interface IChildProcess
{
    int Pid { get; }

    /// <summary>Completes with the wait status when the process has exited.</summary>
    Task<WaitStatus> Exited { get; }

    /// <summary>Sends a signal unless the process was reaped already; false when nothing was sent.</summary>
    bool Signal(int signal);
}
