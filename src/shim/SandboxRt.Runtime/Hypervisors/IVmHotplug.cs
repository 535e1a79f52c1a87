namespace SandboxRt.Runtime.Hypervisors;

/// <summary>
/// A running VM's vCPUs and memory as its hypervisor changes them: a VM this process started
/// (<see cref="IVirtualMachine"/>), or one another process started, reached through its record
/// (<see cref="DetachedVmHotplug"/>, for `sandboxrt update`).
/// </summary>
public interface IVmHotplug
{
    /// <summary>
    /// Hot-plugs vCPUs and memory until the VM has at least this much (never shrinks); returns what it
    /// has then. Fails with <see cref="HypervisorException"/> when the VM has no room (its maximums, its
    /// machine type). The guest still has to bring them online (IAgentGuest.OnlineCpuMemAsync).
    /// </summary>
    Task<(int Vcpus, int MemoryMib)> GrowAsync(int vcpus, int memoryMib, CancellationToken cancellationToken = default);

    /// <summary>
    /// Unplugs hot-plugged vCPUs and memory the VM has beyond this much, as far as the guest gives them
    /// back (never the boot size); returns what it has then, and a line naming each device the guest kept.
    /// </summary>
    Task<(int Vcpus, int MemoryMib, IReadOnlyList<string> Kept)> ShrinkAsync(int vcpus, int memoryMib, CancellationToken cancellationToken = default);
}
