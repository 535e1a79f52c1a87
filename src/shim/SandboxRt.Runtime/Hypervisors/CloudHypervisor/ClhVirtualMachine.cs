using SandboxRt.Runtime.Channels;
using SandboxRt.Runtime.Hypervisors.SharedFs;
using SandboxRt.Runtime.Processes;

namespace SandboxRt.Runtime.Hypervisors.CloudHypervisor;

/// <summary>
/// A running cloud-hypervisor: stopped through its API (vm.shutdown, vmm.shutdown), then SIGKILL after the
/// grace period; its exit, and its end when virtiofsd dies, are <see cref="VmmProcess"/>'s, as with QEMU.
/// It grows and shrinks through vm.resize (<see cref="ClhResize"/>), never below the size it booted with.
/// </summary>
internal sealed class ClhVirtualMachine(ChildProcess process, long launchedTimestamp, ClhStateFiles files, IAgentConnector connector, TimeSpan grace,
        TimeSpan apiTimeout, VirtiofsDaemon? virtiofsd, SharedFsPlan? sharedFs, Task logs, int bootVcpus, int bootMemoryMib)
    : VmmVirtualMachine(
        new VmmProcess("cloud-hypervisor", process, virtiofsd, logs, grace,
            cancellationToken => ClhShutdown.RequestAsync(files.ApiSocket, apiTimeout, cancellationToken), files.RemoveAll),
        launchedTimestamp, files.ConsoleLog, files.HypervisorLog, connector, sharedFs)
{
    public override async Task<(int Vcpus, int MemoryMib)> GrowAsync(int vcpus, int memoryMib, CancellationToken cancellationToken = default)
    {
        using var api = new ClhApiClient(files.ApiSocket, apiTimeout);
        return await ClhResize.GrowAsync(api, vcpus, memoryMib, cancellationToken);
    }

    public override async Task<(int Vcpus, int MemoryMib, IReadOnlyList<string> Kept)> ShrinkAsync(int vcpus, int memoryMib, CancellationToken cancellationToken = default)
    {
        using var api = new ClhApiClient(files.ApiSocket, apiTimeout);
        return await ClhResize.ShrinkAsync(api, vcpus, memoryMib, bootVcpus, bootMemoryMib, cancellationToken);
    }
}
