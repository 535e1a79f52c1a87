namespace SandboxRt.Runtime.Hypervisors;

/// <summary>
/// A running VM that can take NICs: a q35 clone of a VM template, on the PCIe root ports the template
/// keeps free (QemuVirtualMachine). For a VM started before its pod's network was known (the shim's VM cache).
/// </summary>
public interface IVmNicHotplug
{
    /// <summary>Whether the VM has a free port to plug a NIC into (a q35 clone of a VM template; no cold-booted VM).</summary>
    bool CanAddNics { get; }

    /// <summary>Plugs one virtio-net NIC per tap (its MAC and MTU), in order; the taps stay the caller's (QEMU gets its own copies).</summary>
    Task AddNicsAsync(IReadOnlyList<NetworkDevicePlan> nics, CancellationToken cancellationToken = default);

    /// <summary>
    /// Unplugs the NIC with MAC <paramref name="mac"/> and waits until the guest has let it go (its port is
    /// free again). Fails with <see cref="HypervisorException"/> when the VM has no such NIC, or cannot
    /// unplug it (a NIC on a cold VM's command line), or the guest keeps it.
    /// </summary>
    Task RemoveNicAsync(byte[] mac, CancellationToken cancellationToken = default);

    /// <summary>
    /// Plugs a NIC with no backend (MAC <paramref name="mac"/>), runs <paramref name="whilePlugged"/>, then
    /// unplugs it and waits until the guest has let it go (its port is free again). A VM cache's warm-up:
    /// under TCG a fresh QEMU translates the guest's hot-plug, probe and configuration code the first time
    /// the guest runs it, which a claimed VM's first real NIC would otherwise pay for during a create.
    /// </summary>
    Task WithScratchNicAsync(byte[] mac, Func<Task> whilePlugged, CancellationToken cancellationToken = default);
}
