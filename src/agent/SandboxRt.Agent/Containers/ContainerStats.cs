namespace SandboxRt.Agent.Containers;

/// <summary>The statistics StatsContainer reports, flattened from the cgroup's files.</summary>
internal sealed record ContainerStats(
    ulong CpuUsageUsec, ulong CpuUserUsec, ulong CpuSystemUsec,
    ulong MemoryUsageBytes, ulong MemoryLimitBytes, ulong MemoryAnonBytes, ulong MemoryFileBytes, ulong OomKills,
    ulong PidsCurrent, ulong PidsLimit, ulong IoReadBytes, ulong IoWriteBytes,
    ulong MemoryInactiveFileBytes, ulong MemoryActiveFileBytes, ulong MemoryShmemBytes, ulong PageFaults, ulong MajorPageFaults);
