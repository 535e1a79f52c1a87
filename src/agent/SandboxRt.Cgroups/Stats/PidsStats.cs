namespace SandboxRt.Cgroups.Stats;

/// <summary>pids.current and pids.max (null when the limit is "max").</summary>
public sealed record PidsStats(ulong Current, ulong? Limit);
