using SandboxRt.Runtime.Channels;
using SandboxRt.Runtime.Hypervisors.SharedFs;
using SandboxRt.Runtime.Processes;

namespace SandboxRt.Runtime.Hypervisors.CloudHypervisor;

/// <summary>
/// A running cloud-hypervisor: stopped through its API (vm.shutdown, vmm.shutdown), then SIGKILL after the
/// grace period; its exit, and its end when virtiofsd dies, are <see cref="VmmProcess"/>'s, as with QEMU.
/// </summary>
internal sealed class ClhVirtualMachine(ChildProcess process, long launchedTimestamp, ClhStateFiles files, IAgentConnector connector, TimeSpan grace,
        TimeSpan apiTimeout, VirtiofsDaemon? virtiofsd, SharedFsPlan? sharedFs, Task logs)
    : VmmVirtualMachine(
        new VmmProcess("cloud-hypervisor", process, virtiofsd, logs, grace,
            cancellationToken => ClhShutdown.RequestAsync(files.ApiSocket, apiTimeout, cancellationToken), files.RemoveAll),
        launchedTimestamp, files.ConsoleLog, files.HypervisorLog, connector, sharedFs)
{
    /// <summary>Not wired in this build: Cloud Hypervisor grows through vm.resize, which needs max_vcpus and hotplug_size at vm.create.</summary>
    public override Task<(int Vcpus, int MemoryMib)> GrowAsync(int vcpus, int memoryMib, CancellationToken cancellationToken = default) =>
        throw new HypervisorException($"cannot grow the VM to {vcpus} vCPUs and {memoryMib} MiB: hot-plug is not implemented for cloud-hypervisor in this build (vm.resize)");

    /// <summary>Nothing was hot-plugged (<see cref="GrowAsync"/> refuses), so nothing can be given back.</summary>
    public override Task<(int Vcpus, int MemoryMib, IReadOnlyList<string> Kept)> ShrinkAsync(int vcpus, int memoryMib, CancellationToken cancellationToken = default) =>
        throw new HypervisorException($"cannot shrink the VM to {vcpus} vCPUs and {memoryMib} MiB: hot-plug is not implemented for cloud-hypervisor in this build (vm.resize)");
}
