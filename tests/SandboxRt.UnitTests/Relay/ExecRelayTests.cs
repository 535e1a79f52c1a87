using System.Text;
using Microsoft.Extensions.Logging;
using SandboxRt.Interop;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Relay;
using SandboxRt.Runtime.State;
using SandboxRt.UnitTests.Fakes;

namespace SandboxRt.UnitTests.Relay;

/// <summary>
/// The relay of `sandboxrt exec --detach` over a fake agent and streams: it asks the agent for the exec,
/// reports ready (with its own pid, the one --pid-file gets) only once the process runs and signals reach
/// it, relays its stdio, forwards the signals it gets, and exits with its status; an exec the agent
/// refuses, a program that cannot be executed, and an agent that goes away each end as users see them.
/// </summary>
[Trait("Tier", "unit")]
[Collection(SignalsToThisProcess.Name)]
public sealed class ExecRelayTests : IDisposable
{
    private const string Id = "c1";
    private const string ExecId = "exec-1";
    private static readonly TimeSpan Hang = RuncContainerSetup.Hang;

    private readonly TempDirectory _scratch = new();
    private readonly StateStore _store;
    private readonly FakeExecRelayEnds _ends = new();
    private readonly FakeAgent _agent;
    private readonly RecordingLogger _log = new();
    private readonly string _processFile;

    public ExecRelayTests()
    {
        _agent = _ends.Agent;
        _store = new StateStore(Path.Combine(_scratch.Path, "state"));
        _store.Save(new ContainerRecord { Id = Id, Bundle = _scratch.Path, Status = ContainerStatus.Running });
        _processFile = _scratch.File("process.json", """{"args":["sh","-c","cat; echo out; echo err >&2; exit 3"],"cwd":"/","env":["A=1"]}""");
    }

    public void Dispose() => _scratch.Dispose();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private (Task<int> Relay, Task<RelayReport> Report) Start(string? consoleSocket = null)
    {
        var options = new ExecRelayOptions(_store.Root, Id, ExecId, _processFile, consoleSocket) { Ends = _ends };
        return RelayRun.Start(status => ExecRelay.RunAsync(options, status, _log));
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public async Task The_exec_is_forwarded_its_stdio_relayed_and_the_relay_exits_with_its_status()
    {
        _ends.Stdin = new MemoryStream(Bytes("typed in\n"));
        var stdout = _agent.Output(Id, ExecId, stderr: false);
        var stderr = _agent.Output(Id, ExecId, stderr: true);
        var (relay, reporting) = Start();

        var report = await reporting.WaitAsync(Hang, Token);
        Assert.True(report.Ok, report.Error);
        Assert.Equal(Environment.ProcessId, report.Pid);
        var process = _agent.Execs[(Id, ExecId)];
        Assert.Equal(["sh", "-c", "cat; echo out; echo err >&2; exit 3"], process.Args);
        Assert.Equal(["A=1"], process.Env);
        Assert.Equal(_store.Directory(Id), _ends.StateDirectory);
        Assert.Equal((true, (string?)null), _ends.Stdio);
        Assert.Equal(Environment.ProcessId, _store.Load(Id).Execs[ExecId].Pid); // ps lists it, delete ends it

        await _agent.WhenCalled($"CloseStdin {Id}/{ExecId}").WaitAsync(Hang, Token); // end of input closes the process's stdin
        Assert.Equal("typed in\n", Encoding.UTF8.GetString(_agent.StdinOf(Id, ExecId)));
        await stdout.WriteAsync(Bytes("out\n"), Token);
        await stderr.WriteAsync(Bytes("err\n"), Token);
        stdout.Complete();
        stderr.Complete();
        _agent.Exit(Id, ExecId, 3);

        Assert.Equal(3, await relay.WaitAsync(Hang, Token));
        Assert.Equal("out\n", Encoding.UTF8.GetString(_ends.Stdout.ToArray()));
        Assert.Equal("err\n", Encoding.UTF8.GetString(_ends.Stderr.ToArray()));
        Assert.DoesNotContain(ExecId, _store.Load(Id).Execs.Keys);
        Assert.True(_agent.Disposed);
    }

    [Fact]
    public async Task A_signal_to_the_relay_is_forwarded_to_the_exec_not_to_the_containers_init()
    {
        var (relay, reporting) = Start();
        Assert.True((await reporting.WaitAsync(Hang, Token)).Ok);

        Assert.True(ChildProcesses.Signal(Environment.ProcessId, 12)); // SIGUSR2: would end this process unless forwarded
        await _agent.WhenCalled($"Signal {Id}/{ExecId} 12").WaitAsync(Hang, Token);
        _agent.Exit(Id, ExecId, 140);

        Assert.Equal(140, await relay.WaitAsync(Hang, Token));
        Assert.DoesNotContain(_agent.Calls, c => c.StartsWith($"Signal {Id}/ ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_console_socket_goes_to_the_stdio_the_relay_attaches()
    {
        var (relay, reporting) = Start(consoleSocket: "/run/caller/console.sock");
        Assert.True((await reporting.WaitAsync(Hang, Token)).Ok);
        Assert.Equal((true, "/run/caller/console.sock"), _ends.Stdio);
        _agent.Exit(Id, ExecId, 0);
        Assert.Equal(0, await relay.WaitAsync(Hang, Token));
    }

    [Fact]
    public async Task An_exec_the_agent_refuses_is_reported_with_the_container_named_and_status_1()
    {
        _agent.Failures["Exec"] = new AgentException(AgentErrorKind.InvalidArgument, "Exec", "process.cwd: must be an absolute path");
        var (relay, reporting) = Start();

        var report = await reporting.WaitAsync(Hang, Token);
        Assert.False(report.Ok);
        Assert.Equal($"cannot exec in container {Id}: process.cwd: must be an absolute path", report.Error); // what `exec --detach` prints
        Assert.Null(report.ExitCode);
        Assert.Equal(1, await relay.WaitAsync(Hang, Token));
        AssertNothingLeft();
    }

    [Theory]
    [InlineData(AgentErrorKind.NotFound, "exec: \"nope\": executable file not found in $PATH", 127)]
    [InlineData(AgentErrorKind.PermissionDenied, "exec: \"/etc/passwd\": permission denied", 126)]
    public async Task A_program_that_cannot_be_executed_is_reported_in_the_agents_words_with_the_shells_status(AgentErrorKind kind, string message, int status)
    {
        _agent.Failures["Exec"] = new AgentException(kind, "Exec", message, reason: SandboxRt.Agent.Protocol.AgentErrorReason.ExecFailed);
        var (relay, reporting) = Start();

        var report = await reporting.WaitAsync(Hang, Token);
        Assert.False(report.Ok);
        Assert.Equal(message, report.Error); // it names the program; `exec --detach` prints it and exits with the status
        Assert.Equal(status, report.ExitCode);
        Assert.Equal(status, await relay.WaitAsync(Hang, Token));
        AssertNothingLeft();
    }

    [Fact]
    public async Task A_container_without_a_record_is_reported_and_no_agent_is_reached()
    {
        File.Delete(Path.Combine(_store.Directory(Id), "state.json"));
        var (relay, reporting) = Start();

        var report = await reporting.WaitAsync(Hang, Token);
        Assert.False(report.Ok);
        Assert.Contains(Id, report.Error);
        Assert.Equal(1, await relay.WaitAsync(Hang, Token));
        Assert.Null(_ends.StateDirectory);
    }

    [Fact]
    public async Task When_the_agent_goes_away_while_the_exec_runs_the_relay_says_so_and_exits_with_137()
    {
        _agent.Output(Id, ExecId, stderr: false); // output that never ends: the relay must not wait for it
        var (relay, reporting) = Start();
        Assert.True((await reporting.WaitAsync(Hang, Token)).Ok);

        _agent.FailWait(Id, ExecId, new AgentException(AgentErrorKind.Unavailable, "Wait", "the connection to the agent closed"));

        Assert.Equal(ProcessExit.VmDiedStatus, await relay.WaitAsync(Hang, Token));
        Assert.Contains($"exec {Id}/{ExecId}: the connection to the agent closed", _log.At(LogLevel.Error));
        Assert.DoesNotContain(ExecId, _store.Load(Id).Execs.Keys);
        Assert.True(_agent.Disposed);
    }

    /// <summary>A failed exec leaves no record of itself, no stdio relayed and no agent connection.</summary>
    private void AssertNothingLeft()
    {
        Assert.Empty(_store.Load(Id).Execs);
        Assert.False(_ends.Stdio.Attached);
        Assert.True(_agent.Disposed);
    }
}
