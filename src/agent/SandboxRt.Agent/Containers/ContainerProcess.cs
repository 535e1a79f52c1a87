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
    public DateTime? ExitedAt { get; set; }
    public bool OomKilled { get; set; }
    public bool HasExited => Exited.IsCompleted;
}
