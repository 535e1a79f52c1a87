namespace SandboxRt.Cgroups.Stats;

/// <summary>memory.current, memory.max, memory.swap.current, memory.stat and memory.events.</summary>
/// <param name="Usage">memory.current in bytes.</param>
/// <param name="Limit">memory.max in bytes; null when it is "max".</param>
/// <param name="SwapUsage">memory.swap.current; null without swap accounting.</param>
/// <param name="Stat">Every memory.stat counter by name (anon, file, kernel_stack, pgfault, ...).</param>
/// <param name="Events">Every memory.events counter by name (low, high, max, oom, oom_kill, ...).</param>
public sealed record MemoryStats(
    ulong Usage,
    ulong? Limit,
    ulong? SwapUsage,
    IReadOnlyDictionary<string, ulong> Stat,
    IReadOnlyDictionary<string, ulong> Events)
{
    public ulong Anon => Stat.GetValueOrDefault("anon");
    public ulong File => Stat.GetValueOrDefault("file");
    public ulong KernelStack => Stat.GetValueOrDefault("kernel_stack");
    public ulong Slab => Stat.GetValueOrDefault("slab");
    public ulong Shmem => Stat.GetValueOrDefault("shmem");
    public ulong ActiveFile => Stat.GetValueOrDefault("active_file");
    public ulong InactiveFile => Stat.GetValueOrDefault("inactive_file");

    /// <summary>Usage without inactive page cache: what kubelet and Docker report as the working set.</summary>
    public ulong WorkingSet => Usage > InactiveFile ? Usage - InactiveFile : 0;

    /// <summary>memory.events oom: times the limit was hit and the OOM killer invoked.</summary>
    public ulong OomEvents => Events.GetValueOrDefault("oom");

    /// <summary>memory.events oom_kill: processes the OOM killer killed in this cgroup.</summary>
    public ulong OomKills => Events.GetValueOrDefault("oom_kill");
}
