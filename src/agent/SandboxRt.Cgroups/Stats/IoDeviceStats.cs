namespace SandboxRt.Cgroups.Stats;

/// <summary>One line of io.stat: the counters of one block device.</summary>
public sealed record IoDeviceStats(
    uint Major,
    uint Minor,
    ulong ReadBytes,
    ulong WriteBytes,
    ulong ReadOperations,
    ulong WriteOperations,
    ulong DiscardBytes,
    ulong DiscardOperations);
