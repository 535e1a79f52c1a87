namespace SandboxRt.Runtime.Hypervisors;

/// <summary>A VM another process started, grown and shrunk by its driver through the control socket its <see cref="VmmRecord"/> names.</summary>
public sealed class DetachedVmHotplug(IHypervisorDriver driver, VmmRecord record) : IVmHotplug
{
    public Task<(int Vcpus, int MemoryMib)> GrowAsync(int vcpus, int memoryMib, CancellationToken cancellationToken = default) =>
        driver.GrowDetachedAsync(record, vcpus, memoryMib, cancellationToken);

    public Task<(int Vcpus, int MemoryMib, IReadOnlyList<string> Kept)> ShrinkAsync(int vcpus, int memoryMib, CancellationToken cancellationToken = default) =>
        driver.ShrinkDetachedAsync(record, vcpus, memoryMib, cancellationToken);
}
