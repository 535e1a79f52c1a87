using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Hypervisors.CloudHypervisor;

/// <summary>
/// The Cloud Hypervisor driver ("clh", Kata's name for it): its REST API on a Unix socket for control,
/// hybrid vsock for the agent, virtio-fs for the shared directory. Tested against a fake API server
/// only (tests/SandboxRt.UnitTests/Hypervisors/CloudHypervisor): it has never booted a guest here.
/// </summary>
internal sealed class ClhDriver : IHypervisorDriver
{
    public string Name => "clh";

    public IReadOnlyList<string> SharedFsKinds { get; } = [SharedFsPlan.VirtioFs, "none"];

    public IHypervisor Create(HypervisorConfig config) => new ClhHypervisor(config);

    public Task StopDetachedAsync(VmmRecord record, ProcessIdentity? hypervisor, IEnumerable<ProcessIdentity?> helpers, string stateDirectory, TimeSpan grace) =>
        ClhDetachedVm.StopAsync(record, hypervisor, helpers, stateDirectory, grace);
}
