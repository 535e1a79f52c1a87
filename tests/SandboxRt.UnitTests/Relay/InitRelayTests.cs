using Microsoft.Extensions.Logging;
using SandboxRt.Interop;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Relay;
using SandboxRt.Runtime.State;
using SandboxRt.UnitTests.Fakes;

namespace SandboxRt.UnitTests.Relay;

/// <summary>
/// The relay of `sandboxrt create` over a fake sandbox: it reports ready (with its own pid, the one
/// --pid-file gets) only once the container exists and signals reach it, forwards the signals it gets,
/// exits with the container's status and records it; a failed create is reported, and leaves no VM.
/// </summary>
[Trait("Tier", "unit")]
[Collection(SignalsToThisProcess.Name)]
public sealed class InitRelayTests : IDisposable
{
    private const string Id = RuncContainerSetup.Id;
    private static readonly TimeSpan Hang = RuncContainerSetup.Hang;

    private readonly RuncContainerSetup _setup = new();
    private readonly FakeHostSandbox _sandbox;
    private readonly RecordingLogger _log;
    private readonly StateStore _store;

    public InitRelayTests()
    {
        (_store, _sandbox, _log) = (_setup.Store, _setup.Sandbox, _setup.Log);
        _setup.SaveCreatingRecord();
    }

    public void Dispose() => _setup.Dispose();

    private (Task<int> Relay, Task<RelayReport> Report) Start()
    {
        var options = new InitRelayOptions(_store.Root, Id, _setup.Bundle, new HypervisorConfig(), ConsoleSocket: null) { StartSandbox = _sandbox.StartAsync };
        return RelayRun.Start(status => InitRelay.RunAsync(options, status, _log));
    }

    [Fact]
    public async Task The_relay_reports_ready_forwards_signals_and_exits_with_the_containers_status()
    {
        var (relay, reporting) = Start();
        var report = await reporting.WaitAsync(Hang, TestContext.Current.CancellationToken);
        Assert.True(report.Ok, report.Error);
        Assert.Equal(Environment.ProcessId, report.Pid);
        Assert.Equal(ContainerStatus.Created, _store.Load(Id).Status);

        Assert.True(ChildProcesses.Signal(Environment.ProcessId, 12)); // SIGUSR2: would end this process unless forwarded
        await _sandbox.Fake.WhenCalled($"Signal {Id}/ 12").WaitAsync(Hang, TestContext.Current.CancellationToken);
        _sandbox.Fake.Exit(Id, "", 140);

        Assert.Equal(140, await relay.WaitAsync(Hang, TestContext.Current.CancellationToken));
        var saved = _store.Load(Id);
        Assert.Equal(ContainerStatus.Stopped, saved.Status);
        Assert.Equal(140, saved.ExitStatus);
        Assert.Equal(0, _sandbox.Vm.Stops); // the VM outlives the relay until delete
        Assert.Equal("stop", _sandbox.ProxyCalls[^1]);
        Assert.True(_sandbox.Fake.Disposed);
        Assert.DoesNotContain(_sandbox.Fake.Calls, c => c.StartsWith("StartContainer")); // `start` does that, through the proxy
    }

    [Fact]
    public async Task A_guest_oom_kill_is_recorded_by_the_relay()
    {
        _sandbox.Fake.Exit(Id, "", 137, oom: true);
        var (relay, reporting) = Start();

        Assert.True((await reporting.WaitAsync(Hang, TestContext.Current.CancellationToken)).Ok);
        Assert.Equal(137, await relay.WaitAsync(Hang, TestContext.Current.CancellationToken));

        Assert.True(_store.Load(Id).OomKilled);
        Assert.Contains($"container {Id} was killed by the out-of-memory killer", _log.At(LogLevel.Warning));
    }

    [Fact]
    public async Task A_failed_create_is_reported_on_the_status_pipe_and_leaves_no_vm()
    {
        _sandbox.Fake.Failures["CreateContainer"] = new AgentException(AgentErrorKind.InvalidArgument, "CreateContainer", "process.args: empty");
        var (relay, reporting) = Start();

        var report = await reporting.WaitAsync(Hang, TestContext.Current.CancellationToken);
        Assert.False(report.Ok);
        Assert.Equal("process.args: empty", report.Error);
        Assert.Equal(1, await relay.WaitAsync(Hang, TestContext.Current.CancellationToken));
        Assert.Equal(1, _sandbox.Vm.Stops);
        Assert.Equal("stop", _sandbox.ProxyCalls[^1]);
        Assert.Contains($"create {Id}: process.args: empty", _log.At(LogLevel.Error));
    }
}
