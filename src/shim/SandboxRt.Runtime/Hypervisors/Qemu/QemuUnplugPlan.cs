namespace SandboxRt.Runtime.Hypervisors.Qemu;

/// <summary>
/// What to unplug to bring a VM down toward a target size: only what was hot-plugged can go (boot vCPUs
/// and boot RAM stay). vCPUs leave newest first. DIMMs are whole: the largest that still fit in the
/// surplus go first (the newest of equal ones), so the VM never ends below the target and keeps as
/// little above it as whole DIMMs allow.
/// </summary>
internal sealed record QemuUnplugPlan(IReadOnlyList<string> Cpus, IReadOnlyList<string> Dimms)
{
    /// <param name="hotpluggedCpus">device ids of the hot-plugged vCPUs, in the order they were plugged</param>
    /// <param name="vcpus">vCPUs the VM has now (boot and hot-plugged)</param>
    /// <param name="dimms">hot-plugged DIMMs (device id, size), in the order they were plugged</param>
    /// <param name="memoryMib">RAM the VM has now (boot and hot-plugged)</param>
    public static QemuUnplugPlan Choose(IReadOnlyList<string> hotpluggedCpus, int vcpus, int targetVcpus,
        IReadOnlyList<(string Id, int SizeMib)> dimms, int memoryMib, int targetMemoryMib)
    {
        int cpus = Math.Clamp(vcpus - targetVcpus, 0, hotpluggedCpus.Count);
        var cpuIds = hotpluggedCpus.Reverse().Take(cpus).ToList();

        long surplus = memoryMib - (long)targetMemoryMib;
        var dimmIds = new List<string>();
        foreach (var (dimm, _) in dimms.Select((d, i) => (d, i)).OrderByDescending(x => x.d.SizeMib).ThenByDescending(x => x.i))
        {
            if (dimm.SizeMib <= 0 || dimm.SizeMib > surplus)
                continue;
            dimmIds.Add(dimm.Id);
            surplus -= dimm.SizeMib;
        }
        return new QemuUnplugPlan(cpuIds, dimmIds);
    }

    public bool IsEmpty => Cpus.Count == 0 && Dimms.Count == 0;
}
