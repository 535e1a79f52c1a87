using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Hypervisors.Qemu;

/// <summary>The QEMU driver: QMP for control, vhost-vsock or a virtio-serial port for the agent.</summary>
internal sealed class QemuDriver : IHypervisorDriver
{
    public string Name => "qemu";

    public IReadOnlyList<string> SharedFsKinds { get; } = ["virtio-fs", "none"];

    public IHypervisor Create(HypervisorConfig config) => new QemuHypervisor(config);

    /// <summary>q35 and pc boot with hot-plug room up to the maximums (<see cref="QemuHotplug.CanGrowMemory"/>); microvm has no ACPI hot-plug.</summary>
    public bool CanResize(HypervisorConfig config) => config.Qemu.MachineType != "microvm";

    public async Task<(int Vcpus, int MemoryMib)> GrowDetachedAsync(VmmRecord record, int vcpus, int memoryMib, CancellationToken cancellationToken = default)
    {
        await using var qmp = await QmpClient.ConnectAsync(record.ControlSocket ?? throw new HypervisorException("the VM's record names no QMP socket"), cancellationToken);
        return await QemuHotplug.GrowAsync(qmp, vcpus, memoryMib, cancellationToken);
    }

    /// <summary>The shim's shrink (<see cref="QemuHotplug.ShrinkAsync(string, int, int, bool?, TimeSpan, CancellationToken)"/>); QEMU says whether it runs under TCG.</summary>
    public Task<(int Vcpus, int MemoryMib, IReadOnlyList<string> Kept)> ShrinkDetachedAsync(VmmRecord record, int vcpus, int memoryMib, CancellationToken cancellationToken = default) =>
        QemuHotplug.ShrinkAsync(record.ControlSocket ?? throw new HypervisorException("the VM's record names no QMP socket"), vcpus, memoryMib, unplugCpus: null,
            QemuHotplug.ShrinkBound, cancellationToken);

    public Task StopDetachedAsync(VmmRecord record, ProcessIdentity? hypervisor, IEnumerable<ProcessIdentity?> helpers, string stateDirectory, TimeSpan grace) =>
        DetachedVm.StopAsync(record, hypervisor, helpers, stateDirectory, grace);
}
