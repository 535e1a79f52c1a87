using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Hypervisors.CloudHypervisor;

/// <summary>
/// The Cloud Hypervisor driver ("clh", Kata's name for it): its REST API on a Unix socket for control,
/// hybrid vsock for the agent, virtio-fs for the shared directory. Tested against a fake API server
/// only (tests/SandboxRt.IntegrationTests/CloudHypervisor, host tier): it has never booted a guest here.
/// </summary>
internal sealed class ClhDriver : IHypervisorDriver
{
    public string Name => "clh";

    public IReadOnlyList<string> SharedFsKinds { get; } = [SharedFsPlan.VirtioFs, "none"];

    public IHypervisor Create(HypervisorConfig config) => new ClhHypervisor(config);

    public async Task<(int Vcpus, int MemoryMib)> GrowDetachedAsync(VmmRecord record, int vcpus, int memoryMib, CancellationToken cancellationToken = default)
    {
        using var api = new ClhApiClient(record.ControlSocket ?? throw new HypervisorException("the VM's record names no cloud-hypervisor API socket"), ClhResize.DetachedApiTimeout);
        return await ClhResize.GrowAsync(api, vcpus, memoryMib, cancellationToken);
    }

    public Task StopDetachedAsync(VmmRecord record, ProcessIdentity? hypervisor, IEnumerable<ProcessIdentity?> helpers, string stateDirectory, TimeSpan grace) =>
        ClhDetachedVm.StopAsync(record, hypervisor, helpers, stateDirectory, grace);
}
