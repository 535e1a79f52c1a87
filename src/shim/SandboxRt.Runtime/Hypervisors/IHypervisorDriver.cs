using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Hypervisors;

/// <summary>
/// One hypervisor, as the neutral code sees it: a name (the config's <c>hypervisor</c>), the shared
/// file-system kinds it can give a guest, a factory for its <see cref="IHypervisor"/>, and a stop for a VM
/// an earlier process left behind, driven only by the <see cref="VmmRecord"/> in the sandbox's state.
/// </summary>
public interface IHypervisorDriver
{
    string Name { get; }

    IReadOnlyList<string> SharedFsKinds { get; }

    IHypervisor Create(HypervisorConfig config);

    /// <summary>
    /// Whether a VM of <paramref name="config"/> can be grown and shrunk while it runs: then a CLI container's VM
    /// boots at the default and its limits are hot-plugged (as a pod's are), so that `update` can give them
    /// back. A driver without hot-plug says no (the default here): its VMs boot at their full size.
    /// </summary>
    bool CanResize(HypervisorConfig config) => false;

    /// <summary>Grows a VM another process started (`sandboxrt update`), through the control socket its record names.</summary>
    Task<(int Vcpus, int MemoryMib)> GrowDetachedAsync(VmmRecord record, int vcpus, int memoryMib, CancellationToken cancellationToken = default);

    /// <summary>
    /// Shrinks a VM another process started (`sandboxrt update`) as <see cref="IVirtualMachine.ShrinkAsync"/>
    /// does: unplugs what it has beyond this size where the guest lets it go; returns its size then and a
    /// line for each device the guest kept. A driver without unplug refuses (the default here).
    /// </summary>
    Task<(int Vcpus, int MemoryMib, IReadOnlyList<string> Kept)> ShrinkDetachedAsync(VmmRecord record, int vcpus, int memoryMib, CancellationToken cancellationToken = default) =>
        throw new HypervisorException($"cannot shrink the VM to {vcpus} vCPUs and {memoryMib} MiB: unplug is not implemented for {Name} in this build");

    /// <summary>Stops a detached VM (its control socket first, then SIGKILL after <paramref name="grace"/>), its helpers, and removes its state files.</summary>
    Task StopDetachedAsync(VmmRecord record, ProcessIdentity? hypervisor, IEnumerable<ProcessIdentity?> helpers, string stateDirectory, TimeSpan grace);
}
