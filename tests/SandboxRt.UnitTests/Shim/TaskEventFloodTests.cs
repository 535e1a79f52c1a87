using SandboxRt.UnitTests.Fakes;
using SandboxRt.Shim.Pods;
using SandboxRt.Shim.Service;

namespace SandboxRt.UnitTests.Shim;

/// <summary>
/// A guest that floods the shim with OOM events (the agent reports each one it sees, and a compromised
/// agent reports whatever it likes) cannot grow the shim's event queue: OOMs are coalesced per container
/// while one waits, counted and logged; the host's own lifecycle events are all kept, in order.
/// </summary>
[Trait("Tier", "unit")]
public sealed class TaskEventFloodTests
{
    private const int Flood = 1_000_000;

    [Fact]
    public async Task A_million_oom_events_queue_one_per_container_and_lifecycle_events_all()
    {
        var queue = new TaskEventQueue();
        Assert.Equal(TaskEventQueueResult.Queued, queue.Enqueue(new TaskEvent(TaskEventKind.Start, "c1")));
        for (int i = 0; i < Flood; i++)
        {
            queue.Enqueue(new TaskEvent(TaskEventKind.Oom, "c1"));
            queue.Enqueue(new TaskEvent(TaskEventKind.Oom, "c2"));
        }
        Assert.Equal(TaskEventQueueResult.Queued, queue.Enqueue(new TaskEvent(TaskEventKind.Exit, "c1") { ExitStatus = 137 }));
        Assert.Equal(4, queue.Count);
        Assert.Equal(2L * Flood - 2, queue.Coalesced);

        queue.Complete();
        var sent = new List<TaskEvent>();
        await foreach (var e in queue.ReadAllAsync())
            sent.Add(e);
        Assert.Equal([(TaskEventKind.Start, "c1"), (TaskEventKind.Oom, "c1"), (TaskEventKind.Oom, "c2"), (TaskEventKind.Exit, "c1")],
            sent.Select(e => (e.Kind, e.ContainerId)));
        Assert.Equal(TaskEventQueueResult.Closed, queue.Enqueue(new TaskEvent(TaskEventKind.Oom, "c1")));
    }

    [Fact]
    public async Task Once_the_waiting_oom_is_taken_the_next_one_queues_again()
    {
        var queue = new TaskEventQueue();
        queue.Enqueue(new TaskEvent(TaskEventKind.Oom, "c1"));
        Assert.Equal(TaskEventQueueResult.Coalesced, queue.Enqueue(new TaskEvent(TaskEventKind.Oom, "c1")));
        await using var reader = queue.ReadAllAsync().GetAsyncEnumerator();
        Assert.True(await reader.MoveNextAsync());
        Assert.Equal(TaskEventQueueResult.Queued, queue.Enqueue(new TaskEvent(TaskEventKind.Oom, "c1")));
        Assert.Equal(1, queue.Count);
    }

    [Fact]
    public async Task The_publisher_stays_bounded_while_containerd_does_not_take_events()
    {
        // containerd's event service is not there (nothing listens), so the publisher's loop is stuck
        // retrying the first event while a flooding guest's OOMs arrive.
        var log = new RecordingLogger();
        await using var publisher = new EventPublisher("/nonexistent/containerd.sock.ttrpc", "default", log);
        publisher.Publish(new TaskEvent(TaskEventKind.Start, "c1"));
        for (int i = 0; i < Flood; i++)
            publisher.Publish(new TaskEvent(TaskEventKind.Oom, "c1"));
        Assert.InRange(publisher.Pending, 0, 2);
        Assert.InRange(publisher.Coalesced, Flood - 1, Flood);
        var warnings = log.Lines.Where(l => l.Contains("coalesced")).ToList();
        Assert.InRange(warnings.Count, 1, 1 + Flood / EventPublisher.LogCoalescedEvery);
        Assert.Contains("event Oom of c1: coalesced with the one not yet sent to containerd (1 coalesced so far", warnings[0]);
    }
}
