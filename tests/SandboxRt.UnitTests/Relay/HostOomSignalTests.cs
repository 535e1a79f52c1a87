using SandboxRt.Runtime.HostCgroups;
using SandboxRt.Runtime.Relay;
using SandboxRt.UnitTests.Fakes;

namespace SandboxRt.UnitTests.Relay;

[Trait("Tier", "unit")]
public sealed class HostOomSignalTests
{
    private static TempDirectory StateWithRelayCgroup(string relayDirectory)
    {
        var state = new TempDirectory();
        new HostCgroup { Path = "/docker/abc", RelayDirectory = relayDirectory }.Save(state.Path);
        return state;
    }

    [Fact]
    public async Task Reports_that_arrive_while_one_is_made_fold_into_one_more()
    {
        using var state = StateWithRelayCgroup("/sys/fs/cgroup/memory/docker/abc/sandboxrt-relay");
        var gate = new TaskCompletionSource();
        var calls = new List<(string, int)>();
        await using var signal = new HostOomSignal(state.Path, spacing: TimeSpan.Zero, raise: async (dir, pid) =>
        {
            lock (calls)
                calls.Add((dir, pid));
            await gate.Task;
            return calls.Count;
        });
        var first = signal.ReportAsync(); // being made
        var more = Enumerable.Range(0, 50).Select(_ => signal.ReportAsync()).ToList(); // one waits, the rest fold into it
        gate.SetResult();
        await first;
        await Task.WhenAll(more);
        Assert.Equal(2, calls.Count);
        Assert.All(calls, c => Assert.Equal(("/sys/fs/cgroup/memory/docker/abc/sandboxrt-relay", Environment.ProcessId), c));
        Assert.Equal(2, signal.Reported);
    }

    [Fact]
    public async Task At_the_exit_a_kill_already_reported_is_not_reported_again_and_one_never_reported_is()
    {
        using var state = StateWithRelayCgroup("/cg/relay");
        int calls = 0;
        await using var signal = new HostOomSignal(state.Path, raise: (_, _) => Task.FromResult((long)Interlocked.Increment(ref calls)));
        await signal.ReportAsync(); // the guest's event of a kill while running
        Assert.Equal(1, calls);
        await signal.EnsureReportedAsync(); // the exit after it: already reported
        Assert.Equal(1, calls);
        await signal.ReportAsync(); // the guest's event of that same kill, after the exit
        Assert.Equal(1, calls);

        await using var other = new HostOomSignal(state.Path, raise: (_, _) => Task.FromResult((long)Interlocked.Increment(ref calls)));
        await other.EnsureReportedAsync(); // an exit after a kill the guest's events did not bring first
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task Without_a_relay_cgroup_or_when_the_report_fails_nothing_breaks()
    {
        using var bare = new TempDirectory();
        int calls = 0;
        await using (var none = new HostOomSignal(bare.Path, raise: (_, _) => Task.FromResult((long)++calls)))
            await none.EnsureReportedAsync();
        Assert.Equal(0, calls);

        using var state = StateWithRelayCgroup("/cg/relay");
        var failing = new HostOomSignal(state.Path, raise: (_, _) => throw new IOException("write 1 to /cg/relay/memory.limit_in_bytes: EBUSY"));
        await failing.EnsureReportedAsync();
        Assert.Equal(0, failing.Reported);
        await failing.DisposeAsync();
        await failing.ReportAsync(); // after disposal: nothing more is made
        Assert.Equal(0, failing.Reported);
    }

    [Fact]
    public async Task A_flood_of_the_guests_reports_is_spaced_out_and_capped()
    {
        using var state = StateWithRelayCgroup("/cg/relay");
        var times = new List<long>();
        var spacing = TimeSpan.FromMilliseconds(100);
        await using (var spaced = new HostOomSignal(state.Path, spacing: spacing, raise: (_, _) => { times.Add(System.Diagnostics.Stopwatch.GetTimestamp()); return Task.FromResult(1L); }))
        {
            await spaced.ReportAsync();
            await spaced.ReportAsync();
        }
        Assert.Equal(2, times.Count);
        Assert.True(System.Diagnostics.Stopwatch.GetElapsedTime(times[0], times[1]) >= spacing, "the second report came sooner than the spacing");

        int calls = 0;
        var log = new RecordingLogger();
        await using var capped = new HostOomSignal(state.Path, log, spacing: TimeSpan.Zero, raise: (_, _) => Task.FromResult((long)Interlocked.Increment(ref calls)));
        for (int i = 0; i < HostOomSignal.MaxReports + 5; i++)
            await capped.ReportAsync();
        Assert.Equal(HostOomSignal.MaxReports, calls);
        Assert.Equal(HostOomSignal.MaxReports, capped.Reported);
        Assert.Single(log.Lines, l => l.Contains("no more will be"));
    }
}
