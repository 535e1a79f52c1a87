using SandboxRt.Runtime.Sandboxes;

namespace SandboxRt.Runtime.Core;

/// <summary>The VM's vCPUs and memory: what it has, hot-plugging more (a pod grows as containers join it) and giving it back (as they leave); and the host CPUs it runs on.</summary>
public interface IGuestVmSize
{
    /// <summary>The VM's vCPUs and memory now.</summary>
    VmSize Size { get; }

    /// <summary>Hot-plugs until the VM is at least <paramref name="target"/>, online in the guest (never shrinks).</summary>
    Task GrowAsync(VmSize target, CancellationToken cancellationToken = default);

    /// <summary>
    /// Unplugs what the VM has beyond <paramref name="target"/> where the guest lets it go; never below the
    /// boot size. A device the guest keeps is logged as a warning and stays counted in the size (a later
    /// growth reuses it): only a hypervisor that cannot be asked at all fails this.
    /// </summary>
    Task ShrinkAsync(VmSize target, CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs the VM's host processes on <paramref name="cpuset"/>'s CPUs and memory nodes (its host cgroup),
    /// or anywhere again when it pins nothing. Throws when they cannot be (a list the host has not, no
    /// host cgroup), naming the field.
    /// </summary>
    void PinHostCpus(HostCgroups.HostCpuset cpuset);
}
