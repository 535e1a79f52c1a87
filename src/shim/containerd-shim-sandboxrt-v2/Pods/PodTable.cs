using SandboxRt.Runtime.Agent;

namespace SandboxRt.Shim.Pods;

/// <summary>
/// The pod's containers and their processes, and the events that report their changes. A change of state
/// and its event happen together under one lock, so containerd sees events in the order states change
/// (create before start, exit before delete); Wait is released only after the exit event was queued.
/// </summary>
internal sealed class PodTable(ITaskEventSink events)
{
    private readonly object _sync = new();
    private readonly Dictionary<string, PodContainer> _containers = new(StringComparer.Ordinal);

    public bool IsEmpty
    {
        get
        {
            lock (_sync)
                return _containers.Count == 0;
        }
    }

    public bool Contains(string id)
    {
        lock (_sync)
            return _containers.ContainsKey(id);
    }

    public int? GuestPidOf(string id)
    {
        lock (_sync)
            return _containers.TryGetValue(id, out var container) ? container.Guest.GuestPid : null;
    }

    public void Add(PodContainer container, TaskEvent created)
    {
        lock (_sync)
        {
            _containers[container.Id] = container;
            events.Publish(created);
        }
    }

    public void Remove(string id, TaskEvent deleted)
    {
        lock (_sync)
        {
            _containers.Remove(id);
            events.Publish(deleted);
        }
    }

    /// <summary>Runs a change of a process's state and publishes its event, as one step.</summary>
    public void Change(Action change, TaskEvent happened)
    {
        lock (_sync)
        {
            change();
            events.Publish(happened);
        }
    }

    /// <summary>Checks a verb against a process's state and runs <paramref name="change"/> under the lock (a new exec, a removed exec).</summary>
    public T Locked<T>(Func<T> change)
    {
        lock (_sync)
            return change();
    }

    /// <summary>Records how a process ended and publishes its exit (and its container's OOM kill, once); then releases its waiters.</summary>
    public void Finish(PodContainer container, PodProcess process, ProcessExit exit)
    {
        lock (_sync)
        {
            if (!process.MarkExited(exit.Status, exit.ExitedAt))
                return;
            if (exit.OomKilled && !container.OomPublished)
            {
                container.OomPublished = true;
                events.Publish(new TaskEvent(TaskEventKind.Oom, container.Id));
            }
            events.Publish(new TaskEvent(TaskEventKind.Exit, container.Id) { ExecId = process.ExecId, Pid = process.Pid, ExitStatus = exit.Status, At = exit.ExitedAt });
        }
        process.ReleaseWaiters();
    }

    /// <summary>An OOM kill the agent reported for a container of this pod (others are ignored).</summary>
    public void Oom(string id, DateTime at)
    {
        lock (_sync)
        {
            if (!_containers.TryGetValue(id, out var container))
                return;
            container.OomPublished = true;
            events.Publish(new TaskEvent(TaskEventKind.Oom, id) { At = at });
        }
    }

    public (PodContainer Container, PodProcess Process) Find(string id, string execId)
    {
        lock (_sync)
        {
            if (!_containers.TryGetValue(id, out var container))
                throw new TaskNotFoundException($"container {id}: not found");
            if (execId.Length == 0)
                return (container, container.Init);
            if (!container.Execs.TryGetValue(execId, out var exec))
                throw new TaskNotFoundException($"exec {execId} of container {id}: not found");
            return (container, exec);
        }
    }

    public ProcessSnapshot Snapshot(string id, string execId)
    {
        lock (_sync)
        {
            var (container, process) = Find(id, execId);
            return new ProcessSnapshot(id, execId, container.Bundle, process.Pid, process.Status, process.Io, process.ExitStatus, process.ExitedAt);
        }
    }

    public List<PodContainer> Containers()
    {
        lock (_sync)
            return [.. _containers.Values];
    }
}
