using SandboxRt.Cgroups.Stats;
using SandboxRt.Interop;

namespace SandboxRt.Cgroups.Oom;

/// <summary>
/// Raises <see cref="OomKilled"/> when memory.events "oom_kill" grows in a watched cgroup.
/// </summary>
/// <remarks>
/// The kernel signals every change of memory.events as IN_MODIFY (cgroup_file_notify), so one inotify
/// instance and one thread blocked on it serve every container of the sandbox; the thread rereads only
/// the file that changed. When inotify cannot be used (no instance, or a watch limit was hit) the
/// affected cgroups are polled every <see cref="PollInterval"/> by the same thread.
/// The baseline is read after the watch is in place, so a kill between the two is not lost, and kills
/// that happened before <see cref="Add(string)"/> are not reported. When a watched cgroup is removed
/// the kernel drops the watch (IN_IGNORED) and the cgroup is forgotten.
/// Handlers run on the watcher thread, one by one; an exception from one is caught so the others are still called.
/// </remarks>
public sealed class OomWatcher : IDisposable
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _byPath = new(StringComparer.Ordinal);
    private readonly Dictionary<int, Entry> _byWatch = [];
    private readonly Inotify? _inotify;
    private readonly ManualResetEventSlim _stopPolling = new();
    private readonly Thread _thread;
    private volatile bool _stopping;
    private bool _inotifyFailed; // only the watcher thread reads or writes it
    private int _disposed;

    /// <param name="useInotify">False forces polling (tests use it; the agent keeps the default).</param>
    public OomWatcher(bool useInotify = true)
    {
        if (useInotify)
        {
            try
            {
                _inotify = new Inotify();
            }
            catch (SyscallException)
            {
                _inotify = null; // polling instead
            }
        }
        _thread = new Thread(Run) { IsBackground = true, Name = "cgroup oom watcher" };
        _thread.Start();
    }

    /// <summary>Raised on the watcher thread for every growth of oom_kill.</summary>
    public event EventHandler<OomEvent>? OomKilled;

    /// <summary>True when changes arrive through inotify; false when every cgroup is polled.</summary>
    public bool UsesInotify => _inotify is not null;

    /// <summary>Starts watching <paramref name="cgroupPath"/>/memory.events. Adding a path twice is a no-op.</summary>
    public void Add(string cgroupPath)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var file = Path.Combine(cgroupPath, "memory.events");
        lock (_gate)
        {
            if (_byPath.ContainsKey(cgroupPath))
                return;
            int watch = -1;
            if (_inotify is not null)
            {
                try
                {
                    watch = _inotify.AddWatch(file, InotifyMask.Modify);
                }
                catch (SyscallException e) when (e.Errno is Errno.ENOSPC or Errno.ENOMEM)
                {
                    watch = -1; // out of watches: poll this one
                }
                catch (SyscallException e)
                {
                    throw new CgroupException($"watch {file}: {e.Errno}" + (e.Errno == Errno.ENOENT ? " (is the memory controller enabled?)" : ""), file, e.Errno, e);
                }
            }
            ulong baseline;
            try
            {
                baseline = ReadOomKills(file) ?? throw new CgroupException(
                    $"watch {file}: ENOENT (is the memory controller enabled?)", file, Errno.ENOENT);
            }
            catch
            {
                if (watch >= 0)
                    _inotify!.RemoveWatch(watch);
                throw;
            }
            var entry = new Entry(cgroupPath, file, watch) { OomKills = baseline };
            _byPath.Add(cgroupPath, entry);
            if (watch >= 0)
                _byWatch[watch] = entry;
            else
                _inotify?.Interrupt(); // the reader recomputes its timeout to include the polled entry
        }
    }

    public void Add(Cgroup cgroup) => Add(cgroup.Path);

    /// <summary>Stops watching; false when the path was not watched.</summary>
    public bool Remove(string cgroupPath)
    {
        lock (_gate)
        {
            if (!_byPath.Remove(cgroupPath, out var entry))
                return false;
            if (entry.Watch >= 0)
            {
                _byWatch.Remove(entry.Watch);
                _inotify!.RemoveWatch(entry.Watch);
            }
            return true;
        }
    }

    public bool Remove(Cgroup cgroup) => Remove(cgroup.Path);

    /// <summary>Whether <paramref name="cgroupPath"/> is watched now (until Remove, or until the kernel dropped its watch).</summary>
    internal bool Watches(string cgroupPath)
    {
        lock (_gate)
            return _byPath.ContainsKey(cgroupPath);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _stopping = true;
        _inotify?.Interrupt();
        _stopPolling.Set();
        if (Thread.CurrentThread != _thread)
            _thread.Join();
        _inotify?.Dispose();
        _stopPolling.Dispose();
    }

    private void Run()
    {
        while (!_stopping)
        {
            List<Entry> changed;
            if (_inotify is not null && !_inotifyFailed)
            {
                int timeout;
                lock (_gate)
                    timeout = _byPath.Values.Any(e => e.Watch < 0) ? (int)PollInterval.TotalMilliseconds : -1;
                IReadOnlyList<InotifyEvent> events;
                try
                {
                    events = _inotify.ReadEvents(timeout);
                }
                catch (SyscallException)
                {
                    _inotifyFailed = true; // keep reporting by polling every cgroup
                    continue;
                }
                if (_stopping)
                    break;
                lock (_gate)
                    changed = Changed(events);
            }
            else
            {
                _stopPolling.Wait(PollInterval);
                if (_stopping)
                    break;
                lock (_gate)
                    changed = [.. _byPath.Values];
            }
            foreach (var entry in changed)
                Check(entry);
        }
    }

    /// <summary>The entries to reread after <paramref name="events"/>: those that changed, and every polled one.</summary>
    private List<Entry> Changed(IReadOnlyList<InotifyEvent> events)
    {
        if (events.Any(e => (e.Mask & InotifyMask.QueueOverflow) != 0))
            return [.. _byPath.Values]; // events were lost: reread everything
        var changed = _byPath.Values.Where(e => e.Watch < 0).ToList();
        foreach (var e in events)
        {
            if (!_byWatch.TryGetValue(e.Watch, out var entry))
                continue; // removed by Remove (its IN_IGNORED) or unknown
            if ((e.Mask & InotifyMask.Ignored) != 0)
            {
                _byWatch.Remove(e.Watch); // the kernel dropped the watch: the cgroup was removed
                _byPath.Remove(entry.Path);
            }
            else if (!changed.Contains(entry))
                changed.Add(entry);
        }
        return changed;
    }

    private void Check(Entry entry)
    {
        ulong? now;
        try
        {
            now = ReadOomKills(entry.File);
        }
        catch (CgroupException)
        {
            return; // unreadable for a moment (being removed); the next change or poll tries again
        }
        if (now is not { } kills || kills <= entry.OomKills)
            return;
        var growth = kills - entry.OomKills;
        entry.OomKills = kills;
        if (OomKilled is not { } handlers)
            return;
        var oom = new OomEvent(entry.Path, kills, growth);
        foreach (var handler in handlers.GetInvocationList())
        {
            try
            {
                ((EventHandler<OomEvent>)handler)(this, oom);
            }
            catch (Exception)
            {
                // A failing handler must neither starve the other handlers nor stop OOM reporting.
            }
        }
    }

    private static ulong? ReadOomKills(string file) =>
        CgroupFile.TryRead(file) is { } text ? CgroupFileParser.ParseFlatKeyed(text, file).GetValueOrDefault("oom_kill") : null;

    private sealed class Entry(string path, string file, int watch)
    {
        public string Path { get; } = path;
        public string File { get; } = file;
        public int Watch { get; } = watch;
        public ulong OomKills { get; set; }
    }
}
