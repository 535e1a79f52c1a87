namespace SandboxRt.Cgroups.Stats;

/// <summary>A snapshot of one cgroup's counters. A part is null when its controller is not enabled there.</summary>
public sealed record CgroupStats(
    CpuStats? Cpu,
    MemoryStats? Memory,
    PidsStats? Pids,
    IReadOnlyList<IoDeviceStats> Io);
