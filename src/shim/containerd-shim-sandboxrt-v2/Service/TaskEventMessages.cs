using Google.Protobuf;
using SandboxRt.Containerd.Protocol.Events;
using SandboxRt.Containerd.Protocol.Types;
using SandboxRt.Shim.Pods;

namespace SandboxRt.Shim.Service;

/// <summary>A task event as containerd's event message and the topic it is published on (runtime/v2 topics).</summary>
internal static class TaskEventMessages
{
    public static (string Topic, IMessage Message) ToMessage(TaskEvent e) => e.Kind switch
    {
        TaskEventKind.Create => ("/tasks/create", ToCreate(e)),
        TaskEventKind.Start => ("/tasks/start", new TaskStart { ContainerId = e.ContainerId, Pid = (uint)e.Pid }),
        TaskEventKind.ExecAdded => ("/tasks/exec-added", new TaskExecAdded { ContainerId = e.ContainerId, ExecId = e.ExecId }),
        TaskEventKind.ExecStarted => ("/tasks/exec-started", new TaskExecStarted { ContainerId = e.ContainerId, ExecId = e.ExecId, Pid = (uint)e.Pid }),
        TaskEventKind.Paused => ("/tasks/paused", new TaskPaused { ContainerId = e.ContainerId }),
        TaskEventKind.Resumed => ("/tasks/resumed", new TaskResumed { ContainerId = e.ContainerId }),
        TaskEventKind.Oom => ("/tasks/oom", new TaskOOM { ContainerId = e.ContainerId }),
        TaskEventKind.Exit => ("/tasks/exit", new TaskExit
        {
            ContainerId = e.ContainerId,
            // containerd matches an exit to its process by this id: the exec's, or the container's for its init
            Id = e.ExecId.Length > 0 ? e.ExecId : e.ContainerId,
            Pid = (uint)e.Pid,
            ExitStatus = (uint)e.ExitStatus,
            ExitedAt = TaskService.Stamp(e.At),
        }),
        TaskEventKind.Delete => ("/tasks/delete", new TaskDelete
        {
            ContainerId = e.ContainerId,
            Id = e.ContainerId,
            Pid = (uint)e.Pid,
            ExitStatus = (uint)e.ExitStatus,
            ExitedAt = TaskService.Stamp(e.At),
        }),
        _ => throw new ArgumentOutOfRangeException(nameof(e), e.Kind, "unknown task event"),
    };

    private static TaskCreate ToCreate(TaskEvent e)
    {
        var request = e.Create ?? throw new ArgumentException("a create event needs its request", nameof(e));
        var message = new TaskCreate
        {
            ContainerId = e.ContainerId,
            Bundle = request.Bundle,
            Pid = (uint)e.Pid,
            Io = new TaskIO { Stdin = request.Io.Stdin, Stdout = request.Io.Stdout, Stderr = request.Io.Stderr, Terminal = request.Io.Terminal },
        };
        foreach (var m in request.Rootfs)
            message.Rootfs.Add(new Mount { Type = m.Type, Source = m.Source, Options = { m.Options } });
        return message;
    }
}
