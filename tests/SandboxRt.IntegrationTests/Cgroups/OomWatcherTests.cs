using System.Collections.Concurrent;
using SandboxRt.Cgroups;
using SandboxRt.Cgroups.Oom;
using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.Cgroups;

/// <summary>
/// The OOM watcher against memory.events files in a temporary directory (the kernel notifies changes of
/// the real file as IN_MODIFY, which rewriting a regular file also produces). No root needed.
/// </summary>
[Trait("Tier", "host")]
public sealed class OomWatcherTests
{
    // A hang detector: every awaited event comes at once or within a polling interval.
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Growth_of_oom_kill_is_reported_and_other_changes_are_not(bool useInotify)
    {
        using var dir = new ScratchDirectory("srt-oom");
        var c1 = Cgroup(dir, "c1", oomKills: 2);
        var c2 = Cgroup(dir, "c2", oomKills: 0);
        using var watcher = new OomWatcher(useInotify);
        Assert.Equal(useInotify, watcher.UsesInotify);
        var events = Collect(watcher);
        watcher.Add(c1);
        watcher.Add(c2);
        watcher.Add(c1); // twice: no-op

        SetEvents(c1, oom: 1, oomKills: 3);
        Assert.Equal(new OomEvent(c1, 3, 1), await Next(events));
        SetEvents(c1, oom: 2, oomKills: 5);
        Assert.Equal(new OomEvent(c1, 5, 2), await Next(events));
        SetEvents(c2, oom: 1, oomKills: 1);
        Assert.Equal(new OomEvent(c2, 1, 1), await Next(events));

        SetEvents(c1, oom: 3, oomKills: 5); // an OOM without a kill
        await AssertNothingBefore(events, c2, killsSoFar: 1);

        Assert.True(watcher.Remove(c1));
        Assert.False(watcher.Remove(c1));
        SetEvents(c1, oom: 4, oomKills: 9);
        await AssertNothingBefore(events, c2, killsSoFar: 3);
    }

    /// <summary>
    /// That no event came for what the test changed last, without waiting for a time: two kills in
    /// <paramref name="marker"/>, the second written after the first was reported, must be the next two
    /// events. Changes are read in the order they were made (inotify's queue, or one polling pass after
    /// another), so an event for the earlier change would have come before the second marker.
    /// </summary>
    private static async Task AssertNothingBefore(BlockingCollection<OomEvent> events, string marker, ulong killsSoFar)
    {
        SetEvents(marker, oom: killsSoFar + 1, oomKills: killsSoFar + 1);
        Assert.Equal(new OomEvent(marker, killsSoFar + 1, 1), await Next(events));
        SetEvents(marker, oom: killsSoFar + 2, oomKills: killsSoFar + 2);
        Assert.Equal(new OomEvent(marker, killsSoFar + 2, 1), await Next(events));
        Assert.Empty(events);
    }

    [Fact]
    public async Task A_throwing_handler_does_not_stop_the_reports()
    {
        using var dir = new ScratchDirectory("srt-oom");
        var c1 = Cgroup(dir, "c1", oomKills: 0);
        using var watcher = new OomWatcher();
        int calls = 0;
        watcher.OomKilled += (_, _) => { if (Interlocked.Increment(ref calls) == 1) throw new InvalidOperationException("handler bug"); };
        var events = Collect(watcher);
        watcher.Add(c1);
        SetEvents(c1, oom: 1, oomKills: 1);
        Assert.Equal(1ul, (await Next(events)).OomKills);
        SetEvents(c1, oom: 2, oomKills: 2);
        Assert.Equal(2ul, (await Next(events)).OomKills);
    }

    [Fact]
    public async Task A_removed_cgroup_is_forgotten()
    {
        using var dir = new ScratchDirectory("srt-oom");
        var c1 = Cgroup(dir, "c1", oomKills: 0);
        using var watcher = new OomWatcher();
        watcher.Add(c1);
        Assert.True(watcher.Watches(c1));
        File.Delete(Path.Combine(c1, "memory.events")); // as when the cgroup directory goes: IN_IGNORED
        await Condition.WaitAsync(() => !watcher.Watches(c1), "the watcher to drop c1 on IN_IGNORED", EventTimeout);
        Assert.False(watcher.Remove(c1));
    }

    [Fact]
    public void Watching_a_cgroup_without_memory_events_names_the_file()
    {
        using var dir = new ScratchDirectory("srt-oom");
        using var watcher = new OomWatcher();
        var e = Assert.Throws<CgroupException>(() => watcher.Add(dir.Path));
        Assert.Equal($"watch {dir.Path}/memory.events: ENOENT (is the memory controller enabled?)", e.Message);
    }

    [Fact]
    public async Task Dispose_stops_the_thread_and_closes_the_descriptors()
    {
        int threadsBefore = WatcherThreads(), inotifyBefore = InotifyDescriptors();
        using var dir = new ScratchDirectory("srt-oom");
        var watcher = new OomWatcher();
        watcher.Add(Cgroup(dir, "c1", oomKills: 0));
        Assert.Equal(threadsBefore + 1, WatcherThreads());
        Assert.Equal(inotifyBefore + 1, InotifyDescriptors());

        watcher.Dispose();
        watcher.Dispose(); // idempotent

        // Thread.Join returns once the thread's code has ended; the kernel task behind it leaves
        // /proc/self/task a moment later (ci50 saw it still there once), so that is awaited.
        await Condition.WaitAsync(() => WatcherThreads() == threadsBefore, "the watcher thread's task to leave /proc/self/task", TimeSpan.FromSeconds(10));
        Assert.Equal(inotifyBefore, InotifyDescriptors());
        Assert.Throws<ObjectDisposedException>(() => watcher.Add(dir.Path));
    }

    private static string Cgroup(ScratchDirectory dir, string name, ulong oomKills)
    {
        var path = dir.Combine(name);
        Directory.CreateDirectory(path);
        SetEvents(path, oom: oomKills, oomKills: oomKills);
        return path;
    }

    private static void SetEvents(string cgroup, ulong oom, ulong oomKills) =>
        File.WriteAllText(Path.Combine(cgroup, "memory.events"), $"low 0\nhigh 0\nmax {oom}\noom {oom}\noom_kill {oomKills}\noom_group_kill 0\n");

    private static BlockingCollection<OomEvent> Collect(OomWatcher watcher)
    {
        var events = new BlockingCollection<OomEvent>();
        watcher.OomKilled += (_, e) => events.Add(e);
        return events;
    }

    private static async Task<OomEvent> Next(BlockingCollection<OomEvent> events)
    {
        var taken = await Task.Run(() => events.TryTake(out var e, EventTimeout) ? e : null);
        return taken ?? throw new TimeoutException($"no OOM event within {EventTimeout.TotalSeconds} s");
    }

    // .NET names the OS thread after Thread.Name, cut to 15 characters.
    private static int WatcherThreads() =>
        Directory.GetDirectories("/proc/self/task").Count(t => ReadOrEmpty(Path.Combine(t, "comm")).StartsWith("cgroup oom"));

    private static int InotifyDescriptors() =>
        Directory.GetFiles("/proc/self/fd").Count(fd => LinkTarget(fd) == "anon_inode:inotify");

    private static string ReadOrEmpty(string path)
    {
        try { return File.ReadAllText(path); }
        catch (IOException) { return ""; }
    }

    private static string? LinkTarget(string path)
    {
        try { return new FileInfo(path).LinkTarget; }
        catch (IOException) { return null; }
    }
}
