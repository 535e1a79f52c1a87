namespace SandboxRt.IntegrationTests.Support;

/// <summary>
/// The one leak checker of every tier: a <see cref="HostSnapshot"/> before, one after, and the difference
/// that belongs to the sandbox under test. Other tests (and other people's tests on a shared machine) start
/// and stop sandboxes at the same time, so a new entry counts only when it names one of the sandbox's
/// markers (its id, state directory, socket or shim directory; QEMU's -name, virtiofsd's shared directory,
/// a relay's arguments and a jail reservation's owner all carry one). A .NET diagnostic file of a dead
/// process carries only a pid: it counts when that pid was one of the sandbox's (seen by the checker, or
/// named by the test through <see cref="Own"/>: the client call it killed), since other .NET programs on
/// the machine (builds, other test runs) leave theirs too. A tap in the host namespace counts when it is
/// new since the snapshot. With no snapshot (<see cref="HostSnapshot.Empty"/>) neither is checked.
/// Things on their way out (a VM after QMP quit, a shim after its last task) get a bounded wait.
/// </summary>
internal sealed class LeakChecker
{
    private static readonly string[] MarkerFree = ["tap", "dotnet-diagnostic"];
    private readonly List<string> _markers;
    private readonly List<Func<Task<string>>> _probes = [];
    private readonly HashSet<int> _ours = [];

    private LeakChecker(HostSnapshot before, IEnumerable<string> markers)
    {
        Before = before;
        _markers = markers.Where(m => m.Length > 0).Distinct().ToList();
        Remember(before);
    }

    public HostSnapshot Before { get; }

    /// <summary>A container of the runc CLI: state directory <paramref name="stateRoot"/>/<paramref name="id"/>.</summary>
    public static LeakChecker ForCli(string stateRoot, string id, HostSnapshot? before = null)
    {
        var state = Path.Combine(stateRoot, id);
        return new LeakChecker(before ?? HostSnapshot.Take(), [id, state, SandboxRt.Runtime.Storage.SocketDirectory.For(state)]);
    }

    /// <summary>A pod of the containerd shim (the shim's directory is named by a hash of containerd's address, namespace and id).</summary>
    public static LeakChecker ForShim(string containerdAddress, string podId, string ns = "default", HostSnapshot? before = null)
    {
        var directory = SandboxRt.Shim.Cli.ShimPaths.Directory(containerdAddress, ns, podId);
        return new LeakChecker(before ?? HostSnapshot.Take(), [podId, directory, SandboxRt.Runtime.Storage.SocketDirectory.For(Path.Combine(directory, podId))]);
    }

    /// <summary>Also attributes entries that name <paramref name="marker"/> (another container of the same pod, a path).</summary>
    public LeakChecker Also(string marker)
    {
        _markers.Add(marker);
        return this;
    }

    /// <summary>Counts <paramref name="pid"/> as the sandbox's (a client call or relay the test started or killed).</summary>
    public LeakChecker Own(int pid)
    {
        lock (_ours)
            _ours.Add(pid);
        return this;
    }

    /// <summary>Adds a probe whose non-empty answer is a leak (what the runtime left in a network namespace the test made).</summary>
    public LeakChecker Probe(Func<Task<string>> leftovers)
    {
        _probes.Add(leftovers);
        return this;
    }

    /// <summary>What is left now, one line per thing, or "" when nothing is.</summary>
    public async Task<string> LeftoversAsync()
    {
        var after = HostSnapshot.Take();
        Remember(after);
        var left = new List<string>();
        foreach (var (category, entries) in after.Entries)
        {
            var before = Before.Entries.GetValueOrDefault(category) ?? [];
            bool markerFree = MarkerFree.Contains(category);
            if (markerFree && ReferenceEquals(Before, HostSnapshot.Empty))
                continue;
            foreach (var entry in entries.Where(e => !before.Contains(e)).Order())
                if (category == "dotnet-diagnostic" ? IsOurs(entry) : markerFree || _markers.Any(m => entry.Contains(m, StringComparison.Ordinal)))
                    left.Add($"{category}: {entry}");
        }
        // the state directory (under the caller's --root, anywhere) and the shim's directory themselves
        foreach (var path in _markers.Where(m => m.StartsWith('/')))
            if (Directory.Exists(path) || File.Exists(path))
                left.Add($"path: {path}");
        foreach (var probe in _probes)
            if (await probe() is { Length: > 0 } found)
                left.Add("in the pod's network namespace: " + found.Replace('\n', ' '));
        return string.Join('\n', left);
    }

    /// <summary>Waits (bounded) until nothing of the sandbox is left; fails with the list of what is.</summary>
    public async Task AssertCleanAsync(TimeSpan? within = null)
    {
        if (await WaitCleanAsync(within) is { Length: > 0 } left)
            Assert.Fail($"left behind ({string.Join(", ", _markers)}):\n{left}");
    }

    /// <summary>Waits (bounded) until nothing of the sandbox is left; returns what still is ("" when clean).</summary>
    public async Task<string> WaitCleanAsync(TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var left = await LeftoversAsync();
            if (left.Length == 0 || DateTime.UtcNow > deadline)
                return left;
            await Task.Delay(200);
        }
    }

    private void Remember(HostSnapshot snapshot)
    {
        foreach (var entry in snapshot.Entries.GetValueOrDefault("process") ?? [])
            if (_markers.Any(m => entry.Contains(m, StringComparison.Ordinal)))
                Own(int.Parse(entry[..entry.IndexOf(':')]));
    }

    /// <summary>dotnet-diagnostic-PID-… and clr-debug-pipe-PID-… of a pid of ours.</summary>
    private bool IsOurs(string file)
    {
        var name = Path.GetFileName(file);
        var rest = name.StartsWith("clr-debug-pipe-") ? name["clr-debug-pipe-".Length..] : name["dotnet-diagnostic-".Length..];
        lock (_ours)
            return int.TryParse(rest.Split('-')[0], out int pid) && _ours.Contains(pid);
    }
}
