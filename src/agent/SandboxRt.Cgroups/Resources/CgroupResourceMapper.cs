using System.Globalization;
using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;

namespace SandboxRt.Cgroups.Resources;

/// <summary>
/// Translates OCI <c>linux.resources</c> into cgroup v2 interface-file writes, with runc's conversions
/// (libcontainer/cgroups/fs2 and cgroups/utils.go), so that a config behaves the same under SandboxRt
/// as under runc on a cgroup v2 host.
/// </summary>
/// <remarks>
/// Why the details are the way they are:
/// <list type="bullet">
/// <item>OCI values are cgroup v1 values. v1 fields with no v2 counterpart (memory.kernel, kernelTCP,
/// swappiness, disableOOMKiller, useHierarchy, realtime CPU, blkio leaf weights) are ignored with a
/// warning, never an error, because containerd and Docker still send some of them.</item>
/// <item>runc's Go zero values mean "unset": a memory limit of 0, cpu shares of 0, a blkio weight of 0
/// are not written. -1 means unlimited and becomes "max".</item>
/// <item>v1's memory.memsw is memory+swap; v2's memory.swap.max is swap alone, hence swap - limit.</item>
/// <item>linux.resources.cpu.cpus and .mems name the host's CPUs and memory nodes, which the host pins
/// the VM to (the sandbox's host cgroup); the guest's CPUs are vCPUs numbered from 0, and a host number
/// can be one the guest does not have (a write of it fails: ERANGE). So a container limited to N host
/// CPUs gets the guest's first N possible CPUs (as many as it has, at most), which keeps what runc's
/// container sees (nproc, sched_getaffinity) where the VM has the vCPUs; mems is not written: the guest
/// has one memory node.</item>
/// <item>The write order is runc's (pids, memory, io, cpu, cpuset, unified): unified entries come last
/// so that they override the structured fields, as in runc.</item>
/// </list>
/// Nothing here touches the file system; <see cref="Cgroup.Apply"/> performs the writes.
/// </remarks>
public static class CgroupResourceMapper
{
    /// <summary>cpu.max's period when the config gives a quota only (the kernel's default, in µs).</summary>
    public const ulong DefaultCpuPeriod = 100_000;

    private const string Root = "linux.resources";

    /// <summary>Maps <paramref name="resources"/>; throws <see cref="CgroupResourceException"/> naming the bad field.</summary>
    /// <param name="swapConfigured">Whether this system has any swap; null: read /proc/meminfo's SwapTotal.</param>
    /// <param name="possibleCpus">How many CPUs this system can have online; null: read /sys/devices/system/cpu/possible.</param>
    public static CgroupResourcePlan Map(LinuxResources resources, bool? swapConfigured = null, int? possibleCpus = null)
    {
        var writes = new List<CgroupWrite>();
        var warnings = new List<string>();
        if (resources.Pids is { } pids)
            writes.Add(new("pids.max", pids.Limit > 0 ? Format(pids.Limit) : "max"));
        if (resources.Memory is { } memory)
            MapMemory(memory, swapConfigured ?? HasSwap(), writes, warnings);
        if (resources.BlockIO is { } blockIO)
            MapBlockIO(blockIO, writes, warnings);
        if (resources.Cpu is { } cpu)
            MapCpu(cpu, writes, warnings, possibleCpus);
        if (resources.Unified is { } unified)
            MapUnified(unified, writes);
        return new CgroupResourcePlan(writes, warnings);
    }

    /// <summary>
    /// runc's ConvertCPUSharesToCgroupV2Value: v1 shares [2, 262144] onto v2 weight [1, 10000].
    /// 0 means unset and stays 0; shares outside the v1 range are clamped as the v1 kernel did.
    /// </summary>
    public static ulong ConvertCpuSharesToWeight(ulong shares)
    {
        if (shares == 0)
            return 0;
        shares = Math.Clamp(shares, 2, 262_144);
        return 1 + (shares - 2) * 9999 / 262_142;
    }

    /// <summary>
    /// runc's ConvertBlkIOToIOWeightValue: blkio weight [10, 1000] onto io.weight [1, 10000]; 0 stays 0.
    /// </summary>
    public static ulong ConvertBlkioWeightToIoWeight(ulong weight) =>
        weight == 0 ? 0 : 1 + (weight - 10) * 9999 / 990;

    /// <summary>
    /// Swap is configured: /proc/meminfo's SwapTotal is above 0 (a kernel without CONFIG_SWAP, as our
    /// guest's, shows 0; so does a host with no swap device).
    /// </summary>
    private static bool HasSwap()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
                if (line.StartsWith("SwapTotal:", StringComparison.Ordinal))
                    return line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1] != "0";
        }
        catch (IOException)
        {
        }
        return true; // unknown: keep runc's rule
    }

    private static void MapMemory(LinuxMemory memory, bool swapConfigured, List<CgroupWrite> writes, List<string> warnings)
    {
        const string field = Root + ".memory";
        long limit = CheckBytes(memory.Limit, field + ".limit");
        long swap = CheckBytes(memory.Swap, field + ".swap");
        long reservation = CheckBytes(memory.Reservation, field + ".reservation");
        Ignore(memory.Kernel is not null, field + ".kernel", warnings);
        Ignore(memory.KernelTCP is not null, field + ".kernelTCP", warnings);
        Ignore(memory.Swappiness is not null, field + ".swappiness", warnings);
        Ignore(memory.DisableOOMKiller is true, field + ".disableOOMKiller", warnings);
        Ignore(memory.UseHierarchy is not null, field + ".useHierarchy", warnings);

        if (ConvertSwap(swap, limit) is { } swapMax)
            // runc: without swap accounting there is no memory.swap.max; "no limit" or "no swap" then hold anyway.
            // Without any swap (our guest's kernel has no CONFIG_SWAP) nothing can be swapped, so every swap
            // limit holds: Docker's --memory sets one (memory+swap = 2 x memory).
            writes.Add(new("memory.swap.max", swapMax, IgnoreIfMissing: swapMax is "max" or "0" || !swapConfigured));
        if (limit != 0)
            writes.Add(new("memory.max", limit == -1 ? "max" : Format(limit)));
        if (reservation != 0)
            writes.Add(new("memory.low", reservation == -1 ? "max" : Format(reservation)));
    }

    /// <summary>runc's ConvertMemorySwapToCgroupV2Value: memory+swap (v1) to swap alone (v2); null means unset.</summary>
    private static string? ConvertSwap(long swap, long limit)
    {
        const string field = Root + ".memory.swap";
        if (limit == -1 && swap == 0)
            return "max"; // unlimited memory and no swap limit: unlimited swap too, as on v1
        if (swap == -1)
            return "max";
        if (swap == 0)
            return null;
        if (limit is 0 or -1)
            throw new CgroupResourceException(field, $"a memory+swap limit ({swap}) needs a memory limit");
        if (swap < limit)
            throw new CgroupResourceException(field, $"the memory+swap limit {swap} is below the memory limit {limit}");
        return Format(swap - limit); // "0" when they are equal: no swap at all
    }

    private static void MapBlockIO(LinuxBlockIO io, List<CgroupWrite> writes, List<string> warnings)
    {
        const string field = Root + ".blockIO";
        if (io.Weight is { } weight and not 0)
            writes.Add(new("io.weight", Format(ConvertBlkioWeightToIoWeight(CheckBlkioWeight(weight, field + ".weight")))));
        Ignore(io.LeafWeight is not null, field + ".leafWeight", warnings);
        for (int i = 0; i < (io.WeightDevice?.Count ?? 0); i++)
        {
            var device = io.WeightDevice![i];
            var at = $"{field}.weightDevice[{i}]";
            Ignore(device.LeafWeight is not null, at + ".leafWeight", warnings);
            if (device.Weight is not { } deviceWeight || deviceWeight == 0)
                continue;
            var io2 = ConvertBlkioWeightToIoWeight(CheckBlkioWeight(deviceWeight, at + ".weight"));
            writes.Add(new("io.weight", $"{DeviceNumber(device.Major, device.Minor, at)} {Format(io2)}", Field: at));
        }
        Throttle(io.ThrottleReadBpsDevice, "rbps", field + ".throttleReadBpsDevice", writes);
        Throttle(io.ThrottleWriteBpsDevice, "wbps", field + ".throttleWriteBpsDevice", writes);
        Throttle(io.ThrottleReadIOPSDevice, "riops", field + ".throttleReadIOPSDevice", writes);
        Throttle(io.ThrottleWriteIOPSDevice, "wiops", field + ".throttleWriteIOPSDevice", writes);
    }

    private static void Throttle(List<LinuxThrottleDevice>? devices, string key, string field, List<CgroupWrite> writes)
    {
        for (int i = 0; i < (devices?.Count ?? 0); i++)
        {
            var device = devices![i];
            var number = DeviceNumber(device.Major, device.Minor, $"{field}[{i}]");
            // A v1 rate of 0 removed the limit; v2 spells that "max".
            writes.Add(new("io.max", $"{number} {key}={(device.Rate == 0 ? "max" : Format(device.Rate))}", Field: $"{field}[{i}]"));
        }
    }

    private static void MapCpu(LinuxCpu cpu, List<CgroupWrite> writes, List<string> warnings, int? possibleCpus)
    {
        const string field = Root + ".cpu";
        Ignore(cpu.RealtimeRuntime is not null, field + ".realtimeRuntime", warnings);
        Ignore(cpu.RealtimePeriod is not null, field + ".realtimePeriod", warnings);
        if (cpu.Idle is { } idle)
            writes.Add(new("cpu.idle", Format(idle)));
        if (cpu.Shares is { } shares and not 0)
        {
            if (cpu.Idle == 1)
                warnings.Add($"{field}.shares was ignored: an idle cgroup (cpu.idle 1) has no weight");
            else
                writes.Add(new("cpu.weight", Format(ConvertCpuSharesToWeight(shares))));
        }

        long quota = cpu.Quota ?? 0;
        ulong period = cpu.Period ?? 0;
        bool setMax = quota != 0 || period != 0;
        // The kernel wants burst <= quota at every step. Zeroing the burst before cpu.max makes the
        // order safe whether this update raises or lowers the quota.
        if (cpu.Burst is not null && setMax)
            writes.Add(new("cpu.max.burst", "0"));
        if (setMax)
            writes.Add(new("cpu.max", $"{(quota > 0 ? Format(quota) : "max")} {Format(period != 0 ? period : DefaultCpuPeriod)}"));
        if (cpu.Burst is { } burst)
            writes.Add(new("cpu.max.burst", Format(burst)));

        if (!string.IsNullOrEmpty(cpu.Cpus))
        {
            var hostCpus = CpuList.TryParse(cpu.Cpus, out var error) ?? throw new CgroupResourceException(field + ".cpus", error!);
            int guestCpus = Math.Min(hostCpus.Count, possibleCpus ?? PossibleCpus());
            if (guestCpus > 0)
                writes.Add(new("cpuset.cpus", CpuList.Format(Enumerable.Range(0, guestCpus)), Field: field + ".cpus"));
        }
    }

    /// <summary>How many CPUs the guest can have (/sys/devices/system/cpu/possible, "0-N"); 1 when unreadable.</summary>
    private static int PossibleCpus()
    {
        try
        {
            return CpuList.TryParse(File.ReadAllText("/sys/devices/system/cpu/possible"), out _)?.Count ?? 1;
        }
        catch (IOException)
        {
            return 1;
        }
    }

    private static void MapUnified(Dictionary<string, string> unified, List<CgroupWrite> writes)
    {
        foreach (var (key, value) in unified)
        {
            var field = $"{Root}.unified[\"{key}\"]";
            if (key.Length == 0 || key is "." or ".." || key.Contains('/') || key.Contains('\0'))
                throw new CgroupResourceException(field, "a key must be a file name in the cgroup directory (no '/', not '.' or '..')");
            if (!key.Contains('.'))
                throw new CgroupResourceException(field, "a key must name a controller file such as memory.high (controller.name)");
            writes.Add(new(key, value));
        }
    }

    private static long CheckBytes(long? value, string field) => value switch
    {
        null => 0,
        < -1 => throw new CgroupResourceException(field, $"{value} is neither a byte count nor -1 (unlimited)"),
        _ => value.Value,
    };

    private static ulong CheckBlkioWeight(ushort weight, string field) =>
        weight is >= 10 and <= 1000 ? weight : throw new CgroupResourceException(field, $"{weight} is outside the blkio weight range 10-1000");

    private static string DeviceNumber(long major, long minor, string field)
    {
        if (major is < 0 or > uint.MaxValue)
            throw new CgroupResourceException(field + ".major", $"{major} is not a device major number");
        if (minor is < 0 or > uint.MaxValue)
            throw new CgroupResourceException(field + ".minor", $"{minor} is not a device minor number");
        return $"{major}:{minor}";
    }

    private static void Ignore(bool present, string field, List<string> warnings)
    {
        if (present)
            warnings.Add($"{field} is not supported on cgroup v2 and was ignored");
    }

    private static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Format(ulong value) => value.ToString(CultureInfo.InvariantCulture);
}
