using SandboxRt.Runtime.Core;
using SandboxRt.Runtime.Sandboxes;

namespace SandboxRt.UnitTests.Fakes;

/// <summary>An <see cref="IGuestVmSize"/> that grows at once to what is asked and keeps every request.</summary>
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
}
