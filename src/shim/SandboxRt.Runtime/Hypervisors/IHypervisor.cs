namespace SandboxRt.Runtime.Hypervisors;

/// <summary>A hypervisor driver: launches VMs from a configuration.</summary>
public interface IHypervisor
{
    HypervisorCapabilities Capabilities { get; }

    /// <summary>Starts a VM. It is running (not yet booted) when this returns; wait for its agent next.</summary>
    Task<IVirtualMachine> LaunchAsync(VmLaunchRequest request, CancellationToken cancellationToken = default);
}
