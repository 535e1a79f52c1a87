namespace SandboxRt.Runtime.Hypervisors;

/// <summary>
/// A running VM that can take NICs: a q35 clone of a VM template, on the PCIe root ports the template
/// keeps free (QemuVirtualMachine). For a VM started before its pod's network was known (the shim's VM cache).
/// </summary>
public interface IVmNicHotplug
{
    /// <summary>Plugs one virtio-net NIC per tap (its MAC and MTU), in order; the taps stay the caller's (QEMU gets its own copies).</summary>
    Task AddNicsAsync(IReadOnlyList<NetworkDevicePlan> nics, CancellationToken cancellationToken = default);
}
