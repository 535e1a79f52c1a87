namespace SandboxRt.Runtime.Agent;

/// <summary>cgroup statistics of one container, read inside the guest.</summary>
public sealed record ContainerStats(
    ulong CpuUsageUsec, ulong CpuUserUsec, ulong CpuSystemUsec,
    ulong MemoryUsageBytes, ulong MemoryLimitBytes, ulong MemoryAnonBytes, ulong MemoryFileBytes, ulong OomKills,
    ulong PidsCurrent, ulong PidsLimit, ulong IoReadBytes, ulong IoWriteBytes);
