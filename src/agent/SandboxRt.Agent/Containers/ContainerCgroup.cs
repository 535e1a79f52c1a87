using System.Threading.Channels;
using SandboxRt.Agent.Init;
using SandboxRt.Cgroups;
using SandboxRt.Cgroups.Oom;
using SandboxRt.Cgroups.Resources;
using SandboxRt.Interop;
using SandboxRt.Oci.Spec;

namespace SandboxRt.Agent.Containers;

/// <summary>
/// One container's cgroup v2 directory (/sys/fs/cgroup/sandboxrt/ID): resources, the device filter
/// (the spec's rules followed by runc's default allow list, as runc appends it), freezing, statistics
/// and OOM kills. Device control is an eBPF program attached to the cgroup (cgroup v2 has no
/// devices.allow file).
/// </summary>
internal sealed class ContainerCgroup
{
    private static readonly CgroupManager Manager = new();
    private static readonly Lazy<OomWatcher> Watcher = new(() => new OomWatcher());
    private readonly Cgroup _cgroup;
    private readonly Channel<ulong> _oomKills = Channel.CreateUnbounded<ulong>();
    private long _oomKillCount;

    private ContainerCgroup(Cgroup cgroup) => _cgroup = cgroup;

    public string Path => _cgroup.Path;

    /// <summary>OOM kills in this cgroup so far, read from memory.events now (the watcher's events may still be on their way).</summary>
    public ulong OomKillCount
    {
        get
        {
            try
            {
                return Math.Max(_cgroup.ReadStats().Memory?.OomKills ?? 0, (ulong)Interlocked.Read(ref _oomKillCount));
            }
            catch (IOException)
            {
                return (ulong)Interlocked.Read(ref _oomKillCount);
            }
        }
    }

    public static ContainerCgroup Create(string containerId, LinuxResources? resources)
    {
        var cgroup = Manager.Create($"{GuestPaths.CgroupParent}/{containerId}");
        var container = new ContainerCgroup(cgroup);
        try
        {
            LogIgnored(containerId, cgroup.Apply(WithDefaultDevices(resources ?? new LinuxResources())));
            Watcher.Value.OomKilled += container.OnOom;
            Watcher.Value.Add(cgroup);
            return container;
        }
        catch
        {
            Watcher.Value.OomKilled -= container.OnOom;
            cgroup.RemoveAsync().GetAwaiter().GetResult();
            cgroup.Dispose();
            throw;
        }
    }

    public void AddProcess(int pid) => _cgroup.AddProcess(pid);

    public IReadOnlyList<int> Pids() => _cgroup.ListProcesses();

    public Task FreezeAsync(bool freeze) => freeze ? _cgroup.FreezeAsync() : _cgroup.ThawAsync();

    public void SignalAll(int signal)
    {
        if (signal == 9)
        {
            _cgroup.KillAll();
            return;
        }
        foreach (var pid in _cgroup.ListProcesses())
            ChildProcesses.Signal(pid, signal);
    }

    /// <summary>Applies new resources (UpdateContainer). Device rules, when given, get the default allow list too.</summary>
    public void Update(LinuxResources resources) =>
        LogIgnored(System.IO.Path.GetFileName(_cgroup.Path), _cgroup.Apply(resources.Devices is null ? resources : WithDefaultDevices(resources)));

    /// <summary>The v1 fields cgroup v2 cannot express (swappiness, disableOOMKiller, kernel memory), one warning each, as runc ignores them on a v2 host.</summary>
    private static void LogIgnored(string containerId, CgroupResourcePlan plan)
    {
        foreach (var warning in plan.Warnings)
            AgentLog.Warn($"container {containerId}: {warning}");
    }

    public ContainerStats ReadStats()
    {
        var s = _cgroup.ReadStats();
        return new ContainerStats(
            s.Cpu?.UsageUsec ?? 0, s.Cpu?.UserUsec ?? 0, s.Cpu?.SystemUsec ?? 0,
            s.Memory?.Usage ?? 0, s.Memory?.Limit ?? 0, s.Memory?.Anon ?? 0, s.Memory?.File ?? 0, s.Memory?.OomKills ?? 0,
            s.Pids?.Current ?? 0, s.Pids?.Limit ?? 0,
            (ulong)s.Io.Sum(d => (decimal)d.ReadBytes), (ulong)s.Io.Sum(d => (decimal)d.WriteBytes),
            s.Memory?.InactiveFile ?? 0, s.Memory?.ActiveFile ?? 0, s.Memory?.Shmem ?? 0,
            s.Memory?.Stat.GetValueOrDefault("pgfault") ?? 0, s.Memory?.Stat.GetValueOrDefault("pgmajfault") ?? 0);
    }

    /// <summary>Each OOM kill in this cgroup, as it happens.</summary>
    public IAsyncEnumerable<ulong> OomKillsAsync() => _oomKills.Reader.ReadAllAsync();

    public async Task DestroyAsync()
    {
        Watcher.Value.OomKilled -= OnOom;
        Watcher.Value.Remove(_cgroup.Path);
        _oomKills.Writer.TryComplete();
        try
        {
            await _cgroup.RemoveAsync();
        }
        finally
        {
            _cgroup.Dispose();
        }
    }

    private void OnOom(object? sender, OomEvent e)
    {
        if (e.CgroupPath != _cgroup.Path)
            return;
        Interlocked.Exchange(ref _oomKillCount, (long)e.OomKills);
        _oomKills.Writer.TryWrite(e.NewKills);
    }

    private static LinuxResources WithDefaultDevices(LinuxResources resources)
    {
        var rules = new List<LinuxDeviceCgroup>(resources.Devices ?? [new LinuxDeviceCgroup { Allow = false, Access = "rwm" }]);
        foreach (var (type, major, minor, access) in DefaultDevices.AllowRules)
            rules.Add(new LinuxDeviceCgroup { Allow = true, Type = type.ToString(), Major = major, Minor = minor < 0 ? null : minor, Access = access });
        return new LinuxResources
        {
            Devices = rules, Memory = resources.Memory, Cpu = resources.Cpu, Pids = resources.Pids,
            BlockIO = resources.BlockIO, Unified = resources.Unified,
        };
    }
}
