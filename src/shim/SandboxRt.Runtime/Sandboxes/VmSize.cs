using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Configuration;

namespace SandboxRt.Runtime.Sandboxes;

/// <summary>
/// The size of a VM that runs one container (the runc CLI: Docker, podman), in Kata's semantics: the
/// configured default (what the guest kernel and agent need) plus what the container's limits ask for,
/// so that a container given 1 GiB and 2 CPUs can use them. CPUs: default_vcpus + ceil(quota / period),
/// or, for a container with no quota that names host CPUs (--cpuset-cpus 0-3, kubelet's static CPU
/// manager), as many as it names (Kata's calculateSandboxCPUs: a container constrained only by a cpuset),
/// so that `nproc` in it says what it says under runc; memory: default_memory_mib + the memory limit
/// rounded up to MiB; each capped by its maximum
/// (default_maxvcpus, default_maxmemory_mib; 0 means the host's CPUs or memory). No limit: the default.
/// Where the hypervisor can resize (IHypervisorDriver.CanResize), the VM boots at the default and the rest
/// is hot-plugged (ContainerHost), so that `update` can give it back (UpdateOperation).
/// </summary>
public readonly record struct VmSize(int Vcpus, int MemoryMib)
{
    public static VmSize For(Spec spec, HypervisorConfig config) =>
        For(spec.Linux?.Resources, config, Environment.ProcessorCount, HostMemoryMib());

    public static VmSize For(LinuxResources? resources, HypervisorConfig config) =>
        ForPod([resources], config, Environment.ProcessorCount, HostMemoryMib());

    public static VmSize For(LinuxResources? resources, HypervisorConfig config, int hostCpus, long hostMemoryMib) =>
        ForPod([resources], config, hostCpus, hostMemoryMib);

    /// <summary>A pod's VM: the default plus every container's limits (the shim grows the VM to this as containers join).</summary>
    public static VmSize ForPod(IEnumerable<LinuxResources?> containers, HypervisorConfig config) =>
        ForPod(containers, config, Environment.ProcessorCount, HostMemoryMib());

    public static VmSize ForPod(IEnumerable<LinuxResources?> containers, HypervisorConfig config, int hostCpus, long hostMemoryMib)
    {
        long vcpus = config.DefaultVcpus;
        long memory = config.DefaultMemoryMib;
        foreach (var resources in containers)
        {
            vcpus += VcpusAskedFor(resources?.Cpu);
            if (resources?.Memory is { Limit: > 0 } m)
                memory += (m.Limit.Value + (1 << 20) - 1) >> 20;
        }
        var max = Max(config, hostCpus, hostMemoryMib);
        return new VmSize(
            (int)Math.Max(config.DefaultVcpus, Math.Min(vcpus, max.Vcpus)),
            (int)Math.Max(config.DefaultMemoryMib, Math.Min(memory, max.MemoryMib)));
    }

    /// <summary>The vCPUs one container's CPU limits ask for: its quota rounded up, else the number of host CPUs it names, else none.</summary>
    private static long VcpusAskedFor(LinuxCpu? cpu)
    {
        if (cpu is { Quota: > 0 })
        {
            ulong period = cpu.Period is > 0 ? cpu.Period.Value : 100_000; // the kernel's default cfs period
            return (long)(((ulong)cpu.Quota.Value + period - 1) / period);
        }
        // a list that does not parse counts none: the spec's is validated (SpecValidator), an update's is refused by its pin (HostCpuset)
        return string.IsNullOrWhiteSpace(cpu?.Cpus) ? 0 : CpuList.TryParse(cpu.Cpus, out _)?.Count ?? 0;
    }

    /// <summary>The most a VM may grow to: default_maxvcpus and default_maxmemory_mib, 0 (or more than the host has) meaning the host's.</summary>
    public static VmSize Max(HypervisorConfig config) => Max(config, Environment.ProcessorCount, HostMemoryMib());

    public static VmSize Max(HypervisorConfig config, int hostCpus, long hostMemoryMib) => new(
        config.DefaultMaxvcpus is > 0 && config.DefaultMaxvcpus <= hostCpus ? config.DefaultMaxvcpus : hostCpus,
        (int)(config.DefaultMaxmemoryMib is > 0 && config.DefaultMaxmemoryMib <= hostMemoryMib ? config.DefaultMaxmemoryMib : hostMemoryMib));

    /// <summary>At least as big as <paramref name="other"/> in both.</summary>
    public bool Covers(VmSize other) => Vcpus >= other.Vcpus && MemoryMib >= other.MemoryMib;

    /// <summary>MemTotal of /proc/meminfo in MiB.</summary>
    private static long HostMemoryMib()
    {
        foreach (var line in File.ReadLines("/proc/meminfo"))
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
        throw new InvalidOperationException("/proc/meminfo has no MemTotal line");
    }
}
