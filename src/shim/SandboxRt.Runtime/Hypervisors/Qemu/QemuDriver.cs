using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Hypervisors.Qemu;

/// <summary>The QEMU driver: QMP for control, vhost-vsock or a virtio-serial port for the agent.</summary>
internal sealed class QemuDriver : IHypervisorDriver
{
    public string Name => "qemu";

    public IReadOnlyList<string> SharedFsKinds { get; } = ["virtio-fs", "none"];

    public IHypervisor Create(HypervisorConfig config) => new QemuHypervisor(config);

    public Task StopDetachedAsync(VmmRecord record, ProcessIdentity? hypervisor, IEnumerable<ProcessIdentity?> helpers, string stateDirectory, TimeSpan grace) =>
        DetachedVm.StopAsync(record, hypervisor, helpers, stateDirectory, grace);
}
