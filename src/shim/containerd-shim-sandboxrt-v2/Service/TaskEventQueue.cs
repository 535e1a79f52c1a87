using System.Threading.Channels;
using SandboxRt.Shim.Pods;

namespace SandboxRt.Shim.Service;

/// <summary>
/// The event publisher's queue, bounded against the guest. Lifecycle events (create, start, exec, pause,
/// exit, delete) answer the host's own requests, one per request or per process the host started: they
/// are all kept, in order. An OOM event is the guest's word (the agent reports each oom_kill it sees) and
/// a compromised guest can send millions: per container at most one OOM waits at a time, and any that
/// arrives while one waits is coalesced into it (counted, not queued). So the queue never holds more
/// OOM events than the pod has containers.
/// </summary>
internal sealed class TaskEventQueue
{
    private readonly Channel<TaskEvent> _channel = Channel.CreateUnbounded<TaskEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly HashSet<string> _oomWaiting = new(StringComparer.Ordinal);
    private long _coalesced;
    private int _count; // a single-reader channel cannot count its items

    /// <summary>Events waiting to be sent.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>OOM events dropped because one for the same container was still waiting.</summary>
    public long Coalesced => Interlocked.Read(ref _coalesced);

    /// <summary>Queues the event: Queued, Coalesced (an OOM folded into the one waiting), or Closed.</summary>
    public TaskEventQueueResult Enqueue(TaskEvent taskEvent)
    {
        if (taskEvent.Kind == TaskEventKind.Oom)
        {
            lock (_oomWaiting)
            {
                if (!_oomWaiting.Add(taskEvent.ContainerId))
                {
                    Interlocked.Increment(ref _coalesced);
                    return TaskEventQueueResult.Coalesced;
                }
            }
        }
        Interlocked.Increment(ref _count);
        if (_channel.Writer.TryWrite(taskEvent))
            return TaskEventQueueResult.Queued;
        Interlocked.Decrement(ref _count);
        if (taskEvent.Kind == TaskEventKind.Oom)
            lock (_oomWaiting)
                _oomWaiting.Remove(taskEvent.ContainerId);
        return TaskEventQueueResult.Closed;
    }

    /// <summary>The events in order, until <see cref="Complete"/> and the queue is empty.</summary>
    public async IAsyncEnumerable<TaskEvent> ReadAllAsync()
    {
        await foreach (var taskEvent in _channel.Reader.ReadAllAsync())
        {
            Interlocked.Decrement(ref _count);
            if (taskEvent.Kind == TaskEventKind.Oom)
                lock (_oomWaiting)
                    _oomWaiting.Remove(taskEvent.ContainerId); // the next OOM of this container queues again
            yield return taskEvent;
        }
    }

    /// <summary>No more events: the reader ends once it has taken what is queued.</summary>
    public void Complete() => _channel.Writer.TryComplete();
}
