using SandboxRt.Runtime.Core.States;
using SandboxRt.Runtime.State;
using SandboxRt.Shim.Io;

namespace SandboxRt.Shim.Pods;

/// <summary>A container's init or one of its execs, as the shim tracks it. Changed only under the pod table's lock.</summary>
internal sealed class PodProcess(string containerId, string execId, ProcessIo io, Oci.Spec.Process? spec)
{
    private readonly TaskCompletionSource<ProcessExitInfo> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string ContainerId { get; } = containerId;

    /// <summary>"" for the container's init.</summary>
    public string ExecId { get; } = execId;
    public ProcessIo Io { get; } = io;

    /// <summary>The process to run, for an exec (the init's is in the bundle).</summary>
    public Oci.Spec.Process? Spec { get; } = spec;

    /// <summary>Where the process is in its life; the state refuses the verbs it does not allow.</summary>
    public ProcessState State { get; set; } = CreatedState.Instance;

    public ContainerStatus Status => State.Status;

    /// <summary>The host pid containerd knows the process by: the hypervisor's (the process itself is in the guest).</summary>
    public int Pid { get; set; }

    public int ExitStatus { get; private set; }
    public DateTime? ExitedAt { get; private set; }
    public ProcessStdio? Stdio { get; set; }

    /// <summary>Set once the process has ended and everyone waiting was told.</summary>
    public Task<ProcessExitInfo> Exited => _exited.Task;

    public bool IsInit => ExecId.Length == 0;

    /// <summary>"container X" or "exec E of container X", as errors name it.</summary>
    public string Description => IsInit ? $"container {ContainerId}" : $"exec {ExecId} of container {ContainerId}";

    /// <summary>Records the end of the process; false when it had ended already.</summary>
    public bool MarkExited(int status, DateTime at)
    {
        if (State is StoppedState)
            return false;
        State = State.Exited();
        ExitStatus = status;
        ExitedAt = at;
        return true;
    }

    /// <summary>Releases the Wait calls (after the exit event was queued: containerd must see the exit before a delete).</summary>
    public void ReleaseWaiters() => _exited.TrySetResult(new ProcessExitInfo(Pid, ExitStatus, ExitedAt ?? DateTime.UtcNow));

    public ProcessExitInfo ExitInfo => new(Pid, ExitStatus, ExitedAt ?? DateTime.UnixEpoch);
}
