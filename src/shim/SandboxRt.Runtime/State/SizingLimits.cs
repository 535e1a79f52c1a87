using SandboxRt.Oci.Spec;

namespace SandboxRt.Runtime.State;

/// <summary>
/// The limits a CLI container's VM is sized by (<see cref="Sandboxes.VmSize"/>), and the host CPUs and
/// memory nodes it is pinned to (<see cref="HostCgroups.HostCpuset"/>), as the last `update` left them:
/// runc update sends only what changes, so the next one starts from these, not from the bundle.
/// Null: no such limit (or, for <see cref="CpuPeriod"/>, the kernel's default); zero or less: unlimited.
/// </summary>
public sealed record SizingLimits(long? MemoryLimit, long? CpuQuota, ulong? CpuPeriod, string? Cpus = null, string? Mems = null)
{
    /// <summary>Each limit from <paramref name="update"/> where it names one, else from <paramref name="last"/>, else from the bundle's <paramref name="created"/>.</summary>
    public static SizingLimits Merge(LinuxResources update, SizingLimits? last, LinuxResources? created) => new(
        update.Memory?.Limit ?? (last is null ? created?.Memory?.Limit : last.MemoryLimit),
        update.Cpu?.Quota ?? (last is null ? created?.Cpu?.Quota : last.CpuQuota),
        update.Cpu?.Period ?? (last is null ? created?.Cpu?.Period : last.CpuPeriod),
        NonEmpty(update.Cpu?.Cpus) ?? (last is null ? NonEmpty(created?.Cpu?.Cpus) : last.Cpus),
        NonEmpty(update.Cpu?.Mems) ?? (last is null ? NonEmpty(created?.Cpu?.Mems) : last.Mems));

    public LinuxResources AsResources() => new()
    {
        Memory = new LinuxMemory { Limit = MemoryLimit },
        Cpu = new LinuxCpu { Quota = CpuQuota, Period = CpuPeriod, Cpus = Cpus, Mems = Mems },
    };

    private static string? NonEmpty(string? list) => string.IsNullOrEmpty(list) ? null : list;
}
