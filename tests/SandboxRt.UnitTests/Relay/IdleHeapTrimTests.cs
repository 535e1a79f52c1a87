using SandboxRt.Runtime.Relay;

namespace SandboxRt.UnitTests.Relay;

/// <summary>IdleHeapTrim trims once a process that allocated enough has gone quiet, and never while it keeps allocating.</summary>
[Trait("Tier", "unit")]
public sealed class IdleHeapTrimTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_busy_process_is_not_trimmed_and_is_trimmed_once_quiet()
    {
        long allocated = 0;
        int looks = 0;
        bool busy = true;
        var fiveBusyLooks = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var trimmed = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var trim = new IdleHeapTrim(TimeSpan.FromMilliseconds(10), () =>
        {
            // each look while busy sees another MiB allocated since the last
            if (Volatile.Read(ref busy))
                allocated += 1024 * 1024;
            if (Interlocked.Increment(ref looks) == 6) // the first call is the constructor's baseline
                fiveBusyLooks.TrySetResult();
            return allocated;
        }, () => trimmed.TrySetResult(Volatile.Read(ref looks)));

        await fiveBusyLooks.Task.WaitAsync(Bound);
        Assert.False(trimmed.Task.IsCompleted, "trimmed while the process kept allocating");
        Volatile.Write(ref busy, false);

        await trimmed.Task.WaitAsync(Bound);
    }

    [Fact]
    public async Task A_process_that_allocated_little_is_not_trimmed()
    {
        int looks = 0;
        var tenLooks = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool trimmed = false;
        using var trim = new IdleHeapTrim(TimeSpan.FromMilliseconds(10), () =>
        {
            if (Interlocked.Increment(ref looks) == 11)
                tenLooks.TrySetResult();
            return IdleHeapTrim.WorthBytes - 1; // allocated before the baseline, nothing since
        }, () => trimmed = true);

        await tenLooks.Task.WaitAsync(Bound);

        Assert.False(trimmed);
    }
}
