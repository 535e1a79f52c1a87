using Microsoft.Extensions.Logging;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.Sandboxes;
using SandboxRt.UnitTests.Fakes;

namespace SandboxRt.UnitTests.Sandboxes;

/// <summary>The one resize flow the shim's sandboxes and `sandboxrt update` share, against a scripted hypervisor and agent.</summary>
[Trait("Tier", "unit")]
public sealed class VmSizerTests
{
    /// <summary>A VM that boots at 1 vCPU and 512 MiB, plugs what is asked, and gives back all but <see cref="Keeps"/>.</summary>
    private sealed class ScriptedVm : IVmHotplug
    {
        public VmSize Size { get; set; } = new(1, 512);
        public List<string> Calls { get; } = [];
        public int Keeps { get; init; }

        public Task<(int Vcpus, int MemoryMib)> GrowAsync(int vcpus, int memoryMib, CancellationToken cancellationToken = default)
        {
            Calls.Add($"grow {vcpus} {memoryMib}");
            Size = new(Math.Max(Size.Vcpus, vcpus), Math.Max(Size.MemoryMib, memoryMib));
            return Task.FromResult((Size.Vcpus, Size.MemoryMib));
        }

        public Task<(int Vcpus, int MemoryMib, IReadOnlyList<string> Kept)> ShrinkAsync(int vcpus, int memoryMib, CancellationToken cancellationToken = default)
        {
            Calls.Add($"shrink {vcpus} {memoryMib}");
            Size = new(Math.Max(1, vcpus), Math.Max(512, memoryMib) + Keeps);
            IReadOnlyList<string> kept = Keeps > 0 ? [$"dimm-x: the guest refused to eject it"] : [];
            return Task.FromResult((Size.Vcpus, Size.MemoryMib, kept));
        }
    }

    [Fact]
    public async Task A_sizer_that_does_not_know_the_size_learns_it_from_the_growth_then_shrinks_to_the_target()
    {
        var vm = new ScriptedVm { Size = new(2, 1536) }; // grown earlier by another process
        var agent = new FakeAgent();
        var sizer = new VmSizer("c1", vm, agent, default, new RecordingLogger());
        await sizer.GrowAsync(new VmSize(1, 768));
        Assert.Equal(new VmSize(2, 1536), sizer.Size);
        Assert.Empty(await sizer.ShrinkAsync(new VmSize(1, 768)));
        Assert.Equal(["grow 1 768", "shrink 1 768"], vm.Calls);
        Assert.Equal(new VmSize(1, 768), sizer.Size);
        Assert.Contains("OnlineCpuMem 1 768", agent.Calls);
    }

    [Fact]
    public async Task A_known_size_that_covers_the_target_asks_the_hypervisor_nothing()
    {
        var vm = new ScriptedVm();
        var sizer = new VmSizer("c1", vm, new FakeAgent(), new VmSize(1, 512), new RecordingLogger());
        await sizer.GrowAsync(new VmSize(1, 512));
        Assert.Empty(await sizer.ShrinkAsync(new VmSize(2, 1024)));
        Assert.Empty(vm.Calls);
    }

    [Fact]
    public async Task What_the_guest_kept_is_returned_logged_and_counted()
    {
        var vm = new ScriptedVm { Size = new(1, 1536), Keeps = 256 };
        var log = new RecordingLogger();
        var sizer = new VmSizer("c1", vm, new FakeAgent(), new VmSize(1, 1536), log);
        var kept = await sizer.ShrinkAsync(new VmSize(1, 512));
        Assert.Equal(["dimm-x: the guest refused to eject it"], kept);
        Assert.Equal(new VmSize(1, 768), sizer.Size);
        Assert.Contains(log.At(LogLevel.Warning), l => l.Contains("kept dimm-x"));
    }
}
