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

    public Task<(int Vcpus, int MemoryMib)> GrowDetachedAsync(VmmRecord record, int vcpus, int memoryMib, CancellationToken cancellationToken = default) =>
        throw new HypervisorException($"cannot grow the VM to {vcpus} vCPUs and {memoryMib} MiB: hot-plug is not implemented for cloud-hypervisor in this build (vm.resize)");

    public Task StopDetachedAsync(VmmRecord record, ProcessIdentity? hypervisor, IEnumerable<ProcessIdentity?> helpers, string stateDirectory, TimeSpan grace) =>
        ClhDetachedVm.StopAsync(record, hypervisor, helpers, stateDirectory, grace);
}
