namespace SandboxRt.Cgroups.Stats;

/// <summary>cpu.stat: CPU time in microseconds and CFS throttling.</summary>
public sealed record CpuStats(
    ulong UsageUsec,
    ulong UserUsec,
    ulong SystemUsec,
    ulong Periods,
    ulong ThrottledPeriods,
    ulong ThrottledUsec);
