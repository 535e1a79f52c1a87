using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Core;

namespace SandboxRt.UnitTests.Fakes;

/// <summary>
/// An <see cref="IGuestSandbox"/> without a VM: a <see cref="FakeAgent"/>, a VM whose death the test
/// decides (<see cref="Die"/>), and storage that records what it placed and removed.
/// </summary>
internal sealed class FakeGuestSandbox : IGuestSandbox, SandboxRt.Runtime.Sandboxes.IShrinkableSandbox, IContainerStorage
{
    private readonly TaskCompletionSource<string> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Id { get; init; } = "pod";
    public FakeAgent Fake { get; } = new();
    public IAgent Agent => Fake;
    public int VmPid => 4242;
    public Task<string> VmExited => _exited.Task;
    public string ConsoleLogPath => "/nonexistent/console.log";
    public IContainerStorage Storage => this;

    /// <summary>"attach ID" and "detach ID", in order.</summary>
    public List<string> StorageCalls { get; } = [];
    public int Stops { get; private set; }

    public SandboxRt.Runtime.Sandboxes.VmSize Size { get; private set; } = new(1, 512);

    /// <summary>Every size asked for, in order (a call that needed no growth included).</summary>
    public List<SandboxRt.Runtime.Sandboxes.VmSize> Growths { get; } = [];

    public Task GrowAsync(SandboxRt.Runtime.Sandboxes.VmSize target, CancellationToken cancellationToken = default)
    {
        Growths.Add(target);
        Size = new(Math.Max(Size.Vcpus, target.Vcpus), Math.Max(Size.MemoryMib, target.MemoryMib));
        return Task.CompletedTask;
    }

    /// <summary>Every size a shrink asked for, in order (a call that needed none included).</summary>
    public List<SandboxRt.Runtime.Sandboxes.VmSize> Shrinks { get; } = [];

    /// <summary>What every shrink throws, when set (a hypervisor that cannot be asked).</summary>
    public Exception? ShrinkFailure { get; set; }

    /// <summary>A shrink gives back everything above the target (a real guest may keep some).</summary>
    public Task ShrinkAsync(SandboxRt.Runtime.Sandboxes.VmSize target, CancellationToken cancellationToken = default)
    {
        Shrinks.Add(target);
        if (ShrinkFailure is { } failure)
            return Task.FromException(failure);
        Size = new(Math.Min(Size.Vcpus, target.Vcpus), Math.Min(Size.MemoryMib, target.MemoryMib));
        return Task.CompletedTask;
    }

    public void Die(string how) => _exited.TrySetResult(how);

    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        Stops++;
        Die("stopped");
        return Task.CompletedTask;
    }

    public Spec Attach(Spec spec, string bundle, string containerId, bool networkMirrored)
    {
        lock (StorageCalls)
            StorageCalls.Add("attach " + containerId);
        return spec;
    }

    public void Detach(string containerId)
    {
        lock (StorageCalls)
            StorageCalls.Add("detach " + containerId);
    }
}
