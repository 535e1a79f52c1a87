namespace SandboxRt.Cgroups.Oom;

/// <summary>The OOM killer killed <paramref name="NewKills"/> more processes in the cgroup at <paramref name="CgroupPath"/>.</summary>
/// <param name="CgroupPath">The cgroup directory that was passed to <see cref="OomWatcher.Add(string)"/>.</param>
/// <param name="OomKills">memory.events oom_kill now.</param>
/// <param name="NewKills">How much it grew since the last event (or since the cgroup was added).</param>
public sealed record OomEvent(string CgroupPath, ulong OomKills, ulong NewKills);
