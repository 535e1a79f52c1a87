using SandboxRt.Agent.Containers;
using SandboxRt.Interop;

namespace SandboxRt.Agent.UnitTests.Containers;

/// <summary>
/// Calls of a pipelined exec parked until it starts: they go on with the process, or are NotFound when
/// the exec failed, and neither their number nor their age is unbounded.
/// </summary>
[Trait("Tier", "unit")]
public sealed class ExecStartWaitersTests
{
    private DateTime _now = new(2026, 12, 5, 4, 0, 0, DateTimeKind.Utc);

    private ExecStartWaiters Waiters() => new(() => _now);

    private static ContainerProcess Process(string execId) => new(execId, 42, null!, new TaskCompletionSource<WaitStatus>().Task);

    [Fact]
    public async Task Calls_parked_on_an_exec_go_on_with_its_process_once_it_started()
    {
        var waiters = Waiters();
        var wait = waiters.Park("c1", "e1");
        var read = waiters.Park("c1", "e1");
        Assert.False(wait.IsCompleted);
        var process = Process("e1");

        waiters.Started(process);

        Assert.Same(process, await wait);
        Assert.Same(process, await read);
        Assert.Equal(0, waiters.Count);
    }

    [Fact]
    public async Task Calls_parked_on_an_exec_that_failed_get_nothing_and_later_ones_are_refused_at_once()
    {
        var waiters = Waiters();
        var wait = waiters.Park("c1", "e1");

        waiters.Failed("e1");

        Assert.Null(await wait);
        var late = Assert.Throws<KeyNotFoundException>(() => { _ = waiters.Park("c1", "e1"); });
        Assert.Contains("container c1 has no process 'e1' (its exec failed)", late.Message);
    }

    [Fact]
    public void At_most_MaxExecs_execs_are_awaited_at_once()
    {
        var waiters = Waiters();
        for (int i = 0; i < ExecStartWaiters.MaxExecs; i++)
            _ = waiters.Park("c1", $"e{i}");

        var full = Assert.Throws<InvalidOperationException>(() => { _ = waiters.Park("c1", "one-more"); });
        Assert.Contains($"{ExecStartWaiters.MaxExecs} execs are awaited already", full.Message);
        _ = waiters.Park("c1", "e0"); // one already awaited takes no more room
    }

    [Fact]
    public async Task An_exec_awaited_for_longer_than_the_bound_is_dropped_when_the_next_one_comes()
    {
        var waiters = Waiters();
        var old = waiters.Park("c1", "never");
        _now += ExecStartWaiters.Bound + TimeSpan.FromSeconds(1);

        _ = waiters.Park("c1", "e2");

        Assert.Null(await old);
        Assert.Equal(1, waiters.Count);
    }

    [Fact]
    public void Only_the_last_MaxFailed_failures_are_remembered()
    {
        var waiters = Waiters();
        for (int i = 0; i <= ExecStartWaiters.MaxFailed; i++)
            waiters.Failed($"e{i}");

        Assert.False(waiters.Park("c1", "e0").IsCompleted); // forgotten: waits again (bounded)
        Assert.Throws<KeyNotFoundException>(() => { _ = waiters.Park("c1", $"e{ExecStartWaiters.MaxFailed}"); });
    }
}
