using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using SandboxRt.Interop;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Containers;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.Relay;
using SandboxRt.Runtime.State;
using SandboxRt.UnitTests.Fakes;

namespace SandboxRt.UnitTests.Containers;

/// <summary>
/// `sandboxrt run` over a fake sandbox: create, start and wait in one process, the container's status as
/// run's own, signals to run forwarded to the container, and everything (VM, proxy, record, lock) gone
/// on every path before the poststop hooks run.
/// </summary>
[Trait("Tier", "unit")]
[Collection(SignalsToThisProcess.Name)]
public sealed class ContainerRunnerTests : IDisposable
{
    private const string Id = RuncContainerSetup.Id;

    private readonly RuncContainerSetup _setup = new();
    private readonly StringWriter _diagnostics = new();
    private readonly SafeHandle _null = File.OpenHandle("/dev/null");
    private readonly FakeHostSandbox _sandbox;
    private readonly RecordingLogger _log;
    private readonly StateStore _store;

    public ContainerRunnerTests() => (_store, _sandbox, _log) = (_setup.Store, _setup.Sandbox, _setup.Log);

    public void Dispose()
    {
        _null.Dispose();
        _setup.Dispose();
    }

    private Task<int> RunAsync(bool timings = false) => ContainerRunner.RunAsync(
        new RunOptions(Id, _setup.Bundle, _store.Root, new HypervisorConfig()) { Timings = timings, StartSandbox = _sandbox.StartAsync },
        new RunIo(new MemoryStream(), new MemoryStream(), new MemoryStream(), _null, _null, _diagnostics), _log, TestContext.Current.CancellationToken);

    private Task Called(string prefix) => _sandbox.Fake.WhenCalled(prefix).WaitAsync(RuncContainerSetup.Hang, TestContext.Current.CancellationToken);

    private string ProxySocket => AgentEndpoints.ProxySocket(_store.Directory(Id));

    /// <summary>Nothing of the container is left: the VM stopped once, the proxy stopped, no record and no lock.</summary>
    private void AssertAllGone()
    {
        Assert.Equal(1, _sandbox.Vm.Stops);
        Assert.Equal([$"serve {ProxySocket}", "stop"], _sandbox.ProxyCalls);
        Assert.False(Directory.Exists(_store.Directory(Id)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_store.Root));
    }

    [Fact]
    public async Task Run_creates_starts_waits_and_exits_with_the_containers_status_leaving_nothing()
    {
        var run = RunAsync();
        await Called($"Wait {Id}/");
        Assert.Equal(ContainerStatus.Running, _store.Load(Id).Status); // what `state` and `list` see meanwhile
        Assert.Equal(101, _store.Load(Id).GuestPid);

        _sandbox.Fake.Exit(Id, "", 3);

        Assert.Equal(3, await run);
        AssertAllGone();
        var lifecycle = _sandbox.Fake.Calls.Where(c => !c.StartsWith("ReadOutput") && !c.Contains("Stdin")).ToList();
        Assert.Equal([$"CreateContainer {Id}", $"StartContainer {Id}", $"Wait {Id}/"], lifecycle);
        Assert.Contains($"CloseStdin {Id}/", _sandbox.Fake.Calls); // the empty stdin reached its end
        Assert.Equal([$"attach {Id}"], _sandbox.Guest.Files.Calls); // stopping the sandbox removes its shared directory whole
    }

    [Fact]
    public async Task A_signal_sent_to_run_is_forwarded_to_the_containers_init()
    {
        var run = RunAsync();
        await Called($"Wait {Id}/");

        Assert.True(ChildProcesses.Signal(Environment.ProcessId, 10)); // SIGUSR1: would end this process unless forwarded
        await Called($"Signal {Id}/ 10");
        _sandbox.Fake.Exit(Id, "", 128 + 10);

        Assert.Equal(138, await run);
        AssertAllGone();
    }

    [Fact]
    public async Task A_guest_oom_kill_reaches_the_timings_and_the_log()
    {
        _sandbox.Fake.Exit(Id, "", 137, oom: true);

        Assert.Equal(137, await RunAsync(timings: true));

        Assert.Contains("container exited (137, OOM killed)", _diagnostics.ToString());
        Assert.Contains("container created (its sandbox's agent answered after 1234 ms)", _diagnostics.ToString());
        Assert.Equal([$"container {Id} was killed by the out-of-memory killer"], _log.At(LogLevel.Warning));
        AssertAllGone();
    }

    [Fact]
    public async Task A_vm_that_dies_under_the_running_container_makes_run_exit_137()
    {
        var run = RunAsync();
        await Called($"Wait {Id}/");

        _sandbox.Vm.Die("qemu killed by signal 9");

        Assert.Equal(ProcessExit.VmDiedStatus, await run);
        Assert.Contains(_log.At(LogLevel.Warning), l => l.Contains("the VM went away under it (qemu killed by signal 9)"));
        Assert.Equal(1, _sandbox.Vm.Stops);
        Assert.False(_store.Exists(Id));
    }

    [Fact]
    public async Task A_create_that_fails_midway_leaves_no_vm_no_proxy_no_record_and_no_lock()
    {
        _sandbox.Fake.Failures["CreateContainer"] = new AgentException(AgentErrorKind.InvalidArgument, "CreateContainer", "process.args: empty");

        var e = await Assert.ThrowsAsync<AgentException>(() => RunAsync());

        Assert.Equal("process.args: empty", e.Message);
        AssertAllGone();
        Assert.DoesNotContain(_sandbox.Fake.Calls, c => c.StartsWith("StartContainer"));
        Assert.Equal([$"attach {Id}", $"detach {Id}"], _sandbox.Guest.Files.Calls);
    }

    [Fact]
    public async Task A_sandbox_that_does_not_boot_leaves_no_record_and_no_lock()
    {
        _sandbox.StartFailure = new HypervisorException("qemu exited with status 1");

        await Assert.ThrowsAsync<HypervisorException>(() => RunAsync());

        Assert.Equal(0, _sandbox.Vm.Stops);
        Assert.Empty(_sandbox.ProxyCalls);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_store.Root));
    }

    [Fact]
    public async Task A_program_the_guest_cannot_exec_makes_run_exit_127_with_the_agents_message()
    {
        _sandbox.Fake.Failures["StartContainer"] = new AgentException(AgentErrorKind.NotFound, "StartContainer", "exec: \"nope\": executable file not found in $PATH",
            reason: SandboxRt.Agent.Protocol.AgentErrorReason.ExecFailed);

        Assert.Equal(127, await RunAsync());

        Assert.Contains("sandboxrt: exec: \"nope\": executable file not found in $PATH", _diagnostics.ToString());
        AssertAllGone();
    }

    [Fact]
    public async Task An_id_already_recorded_is_refused_before_anything_boots()
    {
        _setup.SaveCreatingRecord();

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => RunAsync());

        Assert.Equal($"container with id {Id} already exists", e.Message);
        Assert.Null(_sandbox.Started);
        Assert.True(_store.Exists(Id)); // the other container's record is not touched
    }

    [Fact]
    public async Task Poststop_hooks_run_once_the_sandbox_and_the_record_are_gone()
    {
        var mark = Path.Combine(_setup.Scratch.Path, "poststop");
        _setup.WriteConfig($$""","hooks":{"poststop":[{"path":"/bin/sh","args":["sh","-c","test ! -e {{_store.Directory(Id)}} && touch {{mark}}"]}]}""");
        _sandbox.Fake.Exit(Id, "", 0);

        Assert.Equal(0, await RunAsync());

        Assert.True(File.Exists(mark), "the poststop hook did not run, or ran while the state directory still existed");
        Assert.Equal(1, _sandbox.Vm.Stops);
    }
}
