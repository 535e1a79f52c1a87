using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;

namespace SandboxRt.Runtime.HostCgroups;

/// <summary>
/// The host CPUs and memory nodes a sandbox's VM runs on: what linux.resources.cpu.cpus and .mems ask of
/// runc (docker run --cpuset-cpus, Kubernetes' static CPU manager), honoured where they mean something,
/// on the host. The VM's processes (QEMU's vCPU threads, virtiofsd) are pinned through the sandbox's host
/// cgroup (<see cref="HostCgroup.SetCpuset"/>), as Kata pins its sandbox cgroup; inside the guest a
/// container gets as many vCPUs as it named host CPUs (the agent's CgroupResourceMapper), since host CPU
/// numbers mean nothing there. A VM several containers share (a pod, `--network container:X`) runs on
/// the union of their lists, and anywhere its parent allows as soon as one of them names none: a VM's
/// vCPUs are not one container's. Null: no restriction (the parent cgroup's CPUs or nodes).
/// </summary>
public sealed record HostCpuset(string? Cpus, string? Mems)
{
    public static HostCpuset Unpinned { get; } = new(null, null);

    public bool IsPinned => Cpus is not null || Mems is not null;

    /// <summary>The set for a VM whose containers have <paramref name="limits"/> (none: unpinned).</summary>
    public static HostCpuset ForPod(IEnumerable<LinuxResources?> limits)
    {
        var all = limits.ToList();
        return new(Union(all.Select(l => l?.Cpu?.Cpus), "cpus"), Union(all.Select(l => l?.Cpu?.Mems), "mems"));
    }

    private static string? Union(IEnumerable<string?> lists, string name)
    {
        var union = new SortedSet<int>();
        bool any = false;
        foreach (var list in lists)
        {
            if (string.IsNullOrWhiteSpace(list))
                return null;
            union.UnionWith(CpuList.TryParse(list, out var error) ?? throw new ArgumentException($"linux.resources.cpu.{name}: {error}"));
            any = true;
        }
        return any ? CpuList.Format(union) : null;
    }

    /// <summary>
    /// Pins a VM in <paramref name="cgroup"/> (null: the spec named no linux.cgroupsPath, and the VM runs in
    /// its starter's cgroups, which are not the sandbox's to change: a pinned set fails then).
    /// </summary>
    public void ApplyTo(HostCgroup? cgroup)
    {
        if (cgroup is not null)
            cgroup.SetCpuset(this);
        else if (IsPinned)
            throw new InvalidOperationException($"linux.resources.cpu.{(Cpus is not null ? "cpus" : "mems")}: the VM is pinned to host CPUs and memory nodes through its host cgroup, and the spec names no linux.cgroupsPath");
    }
}
