using SandboxRt.Interop;

namespace SandboxRt.Agent.Containers;

/// <summary>A container's init or one of its exec'd processes: pid, stdio, and exit.</summary>
internal sealed class ContainerProcess(string execId, int pid, ProcessIo io, Task<WaitStatus> exited)
{
    /// <summary>Empty for the container's init.</summary>
    public string ExecId { get; } = execId;
    public int Pid { get; } = pid;
    public ProcessIo Io { get; } = io;
    public Task<WaitStatus> Exited { get; } = exited;
    public DateTime? ExitedAt { get; private set; }
    public bool OomKilled { get; private set; }
    public bool HasExited => Exited.IsCompleted;

    private readonly TaskCompletionSource<WaitStatus> _recorded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Completes once the exit has been recorded (time, OOM attribution): what WaitProcess answers from,
    /// so that it never reports an exit before its details are known.
    /// </summary>
    public Task<WaitStatus> Recorded => _recorded.Task;

    public void Record(WaitStatus status, bool oomKilled)
    {
        ExitedAt = DateTime.UtcNow;
        OomKilled = oomKilled;
        _recorded.TrySetResult(status);
    }
}
