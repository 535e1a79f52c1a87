using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Core;
using SandboxRt.Runtime.Sandboxes;

namespace SandboxRt.UnitTests.Fakes;

/// <summary>
/// An <see cref="IGuestSandbox"/> without a VM, made of one fake per concern: a <see cref="FakeAgent"/>
/// (<see cref="Fake"/>), a VM whose death the test decides (<see cref="Vm"/>), a size that grows when
/// asked (<see cref="Sizing"/>), and storage that records what it placed and removed (<see cref="Files"/>).
/// </summary>
internal sealed class FakeGuestSandbox : IGuestSandbox
{
    public string Id { get; init; } = "pod";
    public FakeAgent Fake { get; } = new();
    public FakeGuestVm Vm { get; } = new();
    public FakeGuestVmSize Sizing { get; } = new();
    public FakeContainerStorage Files { get; } = new();

    public IAgent Agent => Fake;
    public IContainerStorage Storage => Files;

    public int VmPid => Vm.VmPid;
    public Task<string> VmExited => Vm.VmExited;
    public string ConsoleLogPath => Vm.ConsoleLogPath;
    public Task StopAsync(CancellationToken cancellationToken = default) => Vm.StopAsync(cancellationToken);

    public VmSize Size => Sizing.Size;
    public Task GrowAsync(VmSize target, CancellationToken cancellationToken = default) => Sizing.GrowAsync(target, cancellationToken);
    public Task ShrinkAsync(VmSize target, CancellationToken cancellationToken = default) => Sizing.ShrinkAsync(target, cancellationToken);
    public void PinHostCpus(SandboxRt.Runtime.HostCgroups.HostCpuset cpuset) => Sizing.PinHostCpus(cpuset);
}
