using Microsoft.Extensions.Logging;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Hypervisors;

namespace SandboxRt.Runtime.Sandboxes;

/// <summary>
/// The one way a running VM changes size, for the shim's pods (<see cref="Sandbox"/>) and for
/// `sandboxrt update` (a VM another process started): a growth hot-plugs, then the guest brings it online
/// (checked); a shrink unplugs what is beyond the target where the guest lets it go, and the size is what
/// the hypervisor counts afterwards. Not thread-safe: the caller serializes (the sandbox's lock, the
/// container's state lock).
/// </summary>
/// <param name="size">the VM's size now, or <c>default</c> when this process does not know it (the first growth learns it)</param>
public sealed class VmSizer(string id, IVmHotplug vm, IAgentGuest guest, VmSize size, ILogger log)
{
    /// <summary>The VM's vCPUs and memory now: what it booted with, plus what was hot-plugged since.</summary>
    public VmSize Size { get; private set; } = size;

    /// <summary>
    /// Grows the VM to at least <paramref name="target"/> (never shrinks). Fails, naming what is missing,
    /// when the VM has no room or the guest did not online it; a failed growth leaves the VM as big as it got.
    /// </summary>
    public async Task GrowAsync(VmSize target, CancellationToken cancellationToken = default)
    {
        if (Size.Covers(target))
            return;
        var wanted = new VmSize(Math.Max(Size.Vcpus, target.Vcpus), Math.Max(Size.MemoryMib, target.MemoryMib));
        var before = Size;
        var (vcpus, memoryMib) = await vm.GrowAsync(wanted.Vcpus, wanted.MemoryMib, cancellationToken);
        Size = new VmSize(vcpus, memoryMib);
        var (cpus, onlineMib) = await guest.OnlineCpuMemAsync(wanted.Vcpus, wanted.MemoryMib, cancellationToken);
        // memory counts in whole 128 MiB blocks: a boot size that is not a multiple of one shows one less
        if (cpus < wanted.Vcpus || onlineMib + 128 <= wanted.MemoryMib)
            throw new HypervisorException($"sandbox {id}: the guest brought {cpus} of {wanted.Vcpus} vCPUs and {onlineMib} of {wanted.MemoryMib} MiB online after the hot-plug");
        if (Size != before && before != default)
            log.LogInformation("sandbox {Id}: grown to {Vcpus} vCPUs and {Memory} MiB", id, vcpus, memoryMib);
    }

    /// <summary>
    /// Gives back what the VM has beyond <paramref name="target"/> (never below the boot size). Returns a
    /// line for each device the guest kept, each also logged as a warning; only a hypervisor that cannot be
    /// asked at all throws.
    /// </summary>
    public async Task<IReadOnlyList<string>> ShrinkAsync(VmSize target, CancellationToken cancellationToken = default)
    {
        if (target.Covers(Size))
            return [];
        var wanted = new VmSize(Math.Min(Size.Vcpus, target.Vcpus), Math.Min(Size.MemoryMib, target.MemoryMib));
        var (vcpus, memoryMib, kept) = await vm.ShrinkAsync(wanted.Vcpus, wanted.MemoryMib, cancellationToken);
        var before = Size;
        Size = new VmSize(vcpus, memoryMib);
        foreach (var device in kept)
            log.LogWarning("sandbox {Id}: shrinking to {Vcpus} vCPUs and {Memory} MiB: kept {Device}", id, wanted.Vcpus, wanted.MemoryMib, device);
        if (Size != before)
            log.LogInformation("sandbox {Id}: shrunk from {FromVcpus} vCPUs and {FromMemory} MiB to {Vcpus} vCPUs and {Memory} MiB", id, before.Vcpus, before.MemoryMib, vcpus, memoryMib);
        return kept;
    }
}
