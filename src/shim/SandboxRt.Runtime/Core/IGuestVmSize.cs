using SandboxRt.Runtime.Sandboxes;

namespace SandboxRt.Runtime.Core;

/// <summary>The VM's vCPUs and memory: what it has, and hot-plugging more (a pod grows as containers join it).</summary>
public interface IGuestVmSize
{
    /// <summary>The VM's vCPUs and memory now.</summary>
    VmSize Size { get; }

    /// <summary>Hot-plugs until the VM is at least <paramref name="target"/>, online in the guest (never shrinks).</summary>
    Task GrowAsync(VmSize target, CancellationToken cancellationToken = default);
}
