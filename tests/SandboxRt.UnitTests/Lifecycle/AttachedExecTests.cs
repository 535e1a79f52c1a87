using System.Runtime.InteropServices;
using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Containers;
using SandboxRt.Runtime.Lifecycle;
using SandboxRt.UnitTests.Fakes;

namespace SandboxRt.UnitTests.Lifecycle;

/// <summary>
/// An attached exec, pipelined: its output and exit calls go out before ExecProcess is answered, marked to
/// await the exec; stdin only after it started; an exec that fails ends them and reads no stdin; an agent
/// that does not await the exec (from before the mark) is asked again after the start.
/// </summary>
[Trait("Tier", "unit")]
public sealed class AttachedExecTests : IDisposable
{
    private const string Id = "c1";
    private const string ExecId = "exec-1";
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    private readonly FakeAgent _agent = new();
    private readonly SafeHandle _null = File.OpenHandle("/dev/null");
    private readonly (SandboxRt.Interop.SafeFdHandle Read, SandboxRt.Interop.SafeFdHandle Write) _openPipe = SandboxRt.Interop.Pipes.Create(); // a writer still open: stdin is streamed
    private readonly MemoryStream _stdout = new();
    private readonly StringWriter _diagnostics = new();

    public void Dispose()
    {
        _null.Dispose();
        _openPipe.Read.Dispose();
        _openPipe.Write.Dispose();
    }

    private Task<int> RunAsync() => AttachedExec.RunAsync(_agent, Id, ExecId, new Process { Args = ["/bin/echo", "hi"] },
        new RunIo(new MemoryStream(), _stdout, new MemoryStream(), _openPipe.Read, _null, _diagnostics));

    private Task Called(string prefix) => _agent.WhenCalled(prefix).WaitAsync(Hang, TestContext.Current.CancellationToken);

    [Fact]
    public async Task Output_and_exit_calls_go_out_before_the_exec_is_answered_and_stdin_after()
    {
        _agent.HoldExec = new TaskCompletionSource();
        var output = _agent.Output(Id, ExecId, stderr: false);
        var run = RunAsync();
        await Called($"Wait {Id}/{ExecId} await");
        await Called($"ReadOutput {Id}/{ExecId} stdout await");
        await Called($"ReadOutput {Id}/{ExecId} stderr await");
        Assert.DoesNotContain(_agent.Calls, c => c.StartsWith("OpenStdin", StringComparison.Ordinal));

        _agent.HoldExec.SetResult();
        await Called($"OpenStdin {Id}/{ExecId}");
        output.TryWrite("hi\n"u8.ToArray());
        output.Complete();
        _agent.Exit(Id, ExecId, 3);

        Assert.Equal(3, await run.WaitAsync(Hang, TestContext.Current.CancellationToken));
        Assert.Equal("hi\n"u8.ToArray(), _stdout.ToArray());
        Assert.Equal($"Exec {Id}/{ExecId}", _agent.Calls[0]);
        Assert.Equal([true], _agent.ExecStdin); // a pipe whose writer is open may have data: it is streamed
    }

    [Fact]
    public async Task A_stdin_at_its_end_already_is_not_streamed()
    {
        var (read, write) = SandboxRt.Interop.Pipes.Create();
        write.Dispose(); // every writer gone: reading can only give end of file
        using (read)
            await AssertStdinNotStreamedAsync(read);
    }

    [Fact]
    public Task Stdin_from_dev_null_is_not_streamed() => AssertStdinNotStreamedAsync(_null);

    /// <summary>An exec of /bin/true with <paramref name="stdin"/> runs to exit 0 without the agent being asked for a stdin stream.</summary>
    private async Task AssertStdinNotStreamedAsync(System.Runtime.InteropServices.SafeHandle stdin)
    {
        _agent.Output(Id, ExecId, stderr: false).Complete();
        var run = AttachedExec.RunAsync(_agent, Id, ExecId, new Process { Args = ["/bin/true"] },
            new RunIo(new MemoryStream(), _stdout, new MemoryStream(), stdin, _null, _diagnostics));
        await Called($"Wait {Id}/{ExecId} await");
        _agent.Exit(Id, ExecId, 0);

        Assert.Equal(0, await run.WaitAsync(Hang, TestContext.Current.CancellationToken));
        Assert.DoesNotContain(_agent.Calls, c => c.StartsWith("OpenStdin", StringComparison.Ordinal));
        Assert.Equal([false], _agent.ExecStdin);
    }

    [Fact]
    public async Task An_exec_that_cannot_run_its_program_ends_with_127_and_reads_no_stdin()
    {
        _agent.Failures["Exec"] = new AgentException(AgentErrorKind.NotFound, "ExecProcess", "exec: \"/bin/echo\": ENOENT", reason: SandboxRt.Agent.Protocol.AgentErrorReason.ExecFailed);

        Assert.Equal(127, await RunAsync().WaitAsync(Hang, TestContext.Current.CancellationToken));
        Assert.Contains("ENOENT", _diagnostics.ToString());
        Assert.DoesNotContain(_agent.Calls, c => c.StartsWith("OpenStdin", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_agent_that_does_not_await_the_exec_is_asked_again_once_it_started()
    {
        _agent.AwaitsExecStart = false;
        _agent.HoldExec = new TaskCompletionSource();
        var output = _agent.Output(Id, ExecId, stderr: false);
        var run = RunAsync();
        await Called($"Wait {Id}/{ExecId} await");
        await Called($"ReadOutput {Id}/{ExecId} stdout await");

        _agent.HoldExec.SetResult();
        output.TryWrite("hi\n"u8.ToArray());
        output.Complete();
        _agent.Exit(Id, ExecId, 0);

        Assert.Equal(0, await run.WaitAsync(Hang, TestContext.Current.CancellationToken));
        Assert.Equal("hi\n"u8.ToArray(), _stdout.ToArray());
        Assert.Contains($"Wait {Id}/{ExecId}", _agent.Calls);
        Assert.Contains($"ReadOutput {Id}/{ExecId} stdout", _agent.Calls);
    }
}
