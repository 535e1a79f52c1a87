using SandboxRt.Runtime.Core;
using SandboxRt.Runtime.HostCgroups;
using SandboxRt.Runtime.Sandboxes;

namespace SandboxRt.UnitTests.Fakes;

/// <summary>An <see cref="IGuestVmSize"/> that grows and shrinks at once to what is asked and keeps every request.</summary>
internal sealed class FakeGuestVmSize : IGuestVmSize
{
    public VmSize Size { get; private set; } = new(1, 512);

    /// <summary>Every size asked for, in order (a call that needed no growth included).</summary>
    public List<VmSize> Growths { get; } = [];

    public Task GrowAsync(VmSize target, CancellationToken cancellationToken = default)
    {
        Growths.Add(target);
        Size = new(Math.Max(Size.Vcpus, target.Vcpus), Math.Max(Size.MemoryMib, target.MemoryMib));
        return Task.CompletedTask;
    }

    /// <summary>Every size a shrink asked for, in order (a call that needed none included).</summary>
    public List<VmSize> Shrinks { get; } = [];

    /// <summary>What every shrink throws, when set (a hypervisor that cannot be asked).</summary>
    public Exception? ShrinkFailure { get; set; }

    /// <summary>A shrink gives back everything above the target (a real guest may keep some).</summary>
    public Task ShrinkAsync(VmSize target, CancellationToken cancellationToken = default)
    {
        Shrinks.Add(target);
        if (ShrinkFailure is { } failure)
            return Task.FromException(failure);
        Size = new(Math.Min(Size.Vcpus, target.Vcpus), Math.Min(Size.MemoryMib, target.MemoryMib));
        return Task.CompletedTask;
    }

    /// <summary>Every host CPU set the VM was pinned to, in order.</summary>
    public List<HostCpuset> Pins { get; } = [];

    /// <summary>What every pin throws, when set (CPUs the host has not).</summary>
    public Exception? PinFailure { get; set; }

    public void PinHostCpus(HostCpuset cpuset)
    {
        if (PinFailure is { } failure)
            throw failure;
        Pins.Add(cpuset);
    }
}
