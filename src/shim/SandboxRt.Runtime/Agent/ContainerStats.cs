namespace SandboxRt.Runtime.Agent;

/// <summary>cgroup statistics of one container, read inside the guest.</summary>
/// <param name="MemoryLimitBytes">memory.max; 0 when unlimited.</param>
/// <param name="MemoryInactiveFileBytes">Page cache the guest can reclaim first: usage minus this is kubelet's working set (0 from an agent before 2026-12-07, as are the four after it).</param>
public sealed record ContainerStats(
    ulong CpuUsageUsec, ulong CpuUserUsec, ulong CpuSystemUsec,
    ulong MemoryUsageBytes, ulong MemoryLimitBytes, ulong MemoryAnonBytes, ulong MemoryFileBytes, ulong OomKills,
    ulong PidsCurrent, ulong PidsLimit, ulong IoReadBytes, ulong IoWriteBytes,
    ulong MemoryInactiveFileBytes = 0, ulong MemoryActiveFileBytes = 0, ulong MemoryShmemBytes = 0, ulong PageFaults = 0, ulong MajorPageFaults = 0);
