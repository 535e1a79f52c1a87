using Microsoft.Extensions.Logging;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Core;
using SandboxRt.Runtime.Network;
using SandboxRt.Runtime.Sandboxes;

namespace SandboxRt.UnitTests.Fakes;

/// <summary>
/// An <see cref="IHostSandbox"/> without a VM, for the runc CLI's ContainerHost and `run`: the container
/// flow's part is a <see cref="FakeGuestSandbox"/> (<see cref="Guest"/>); <see cref="StartAsync"/> stands
/// for Sandbox.StartAsync and keeps the options it was given; the "VM" and its helper are this test
/// process (so the record's identities are real); the agent proxy is only recorded ("serve SOCKET", "stop").
/// </summary>
internal sealed class FakeHostSandbox : IHostSandbox
{
    public FakeGuestSandbox Guest { get; } = new();
    public FakeAgent Fake => Guest.Fake;

    /// <summary>What it was started with (null until started).</summary>
    public SandboxStartOptions? Started { get; private set; }

    /// <summary>When set, starting fails with it (a VM that did not boot).</summary>
    public Exception? StartFailure { get; set; }

    /// <summary>When set, runs as the start begins: what must have happened before the sandbox boots.</summary>
    public Action? OnStart { get; set; }

    /// <summary>"serve SOCKET" and "stop", in order.</summary>
    public List<string> ProxyCalls { get; } = [];

    public FakeGuestVm Vm => Guest.Vm;

    public Task<IHostSandbox> StartAsync(SandboxStartOptions options, ILogger log, CancellationToken cancellationToken)
    {
        OnStart?.Invoke();
        if (StartFailure is { } failure)
            return Task.FromException<IHostSandbox>(failure);
        Started = options;
        return Task.FromResult<IHostSandbox>(this);
    }

    public string Id => Started?.Id ?? Guest.Id;
    public string StateDirectory => Path.Combine(Started!.StateRoot, Started.Id);
    public IAgent Agent => Guest.Agent;
    public int VmPid => Environment.ProcessId;
    public IReadOnlyList<int> HelperPids => [Environment.ProcessId];
    public Task<string> VmExited => Guest.VmExited;
    public string ConsoleLogPath => Guest.ConsoleLogPath;
    public IContainerStorage Storage => Guest.Storage;
    public VmSize Size => Guest.Size;
    public PodNetwork? Network => null;
    public BootBreakdown? Boot => null;
    public TimeSpan BootTime => TimeSpan.FromMilliseconds(1234);

    public Task GrowAsync(VmSize target, CancellationToken cancellationToken = default) => Guest.GrowAsync(target, cancellationToken);
    public Task ShrinkAsync(VmSize target, CancellationToken cancellationToken = default) => Guest.ShrinkAsync(target, cancellationToken);
    public void PinHostCpus(SandboxRt.Runtime.HostCgroups.HostCpuset cpuset) => Guest.PinHostCpus(cpuset);

    public Task StopAsync(CancellationToken cancellationToken = default) => Guest.StopAsync(cancellationToken);

    public Task<IAsyncDisposable> ServeAgentAsync(string socketPath, ILogger log)
    {
        lock (ProxyCalls)
            ProxyCalls.Add("serve " + socketPath);
        return Task.FromResult<IAsyncDisposable>(new FakeAgentProxy(ProxyCalls));
    }
}
