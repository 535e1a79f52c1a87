using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.Processes;
using SandboxRt.UnitTests.Fakes;

namespace SandboxRt.UnitTests.Hypervisors;

/// <summary>The VMM lifecycle that QEMU and Cloud Hypervisor share, against a fake process and file server.</summary>
[Trait("Tier", "unit")]
public sealed class VmmProcessTests
{
    private readonly FakeChildProcess _process = new(pid: 4242);
    private readonly FakeFileServer _fileServer = new(pid: 4343);
    private int _shutdownRequests;
    private int _cleanUps;

    private VmmProcess Start(TimeSpan grace, Func<CancellationToken, Task>? requestShutdown = null, bool withFileServer = true) =>
        new("QEMU", _process, withFileServer ? _fileServer : null, Task.CompletedTask, grace,
            cancellationToken =>
            {
                Interlocked.Increment(ref _shutdownRequests);
                return requestShutdown?.Invoke(cancellationToken) ?? Task.CompletedTask;
            },
            () => Interlocked.Increment(ref _cleanUps));

    [Fact]
    public async Task The_exit_description_names_the_vmm_its_pid_and_how_it_ended()
    {
        var vmm = Start(Timeout.InfiniteTimeSpan);
        Assert.Equal([4343], vmm.HelperPids);
        Assert.False(vmm.Exited.IsCompleted);
        _process.Exit(1);
        Assert.Equal("QEMU (pid 4242) exited 1", await vmm.Exited);
    }

    [Fact]
    public async Task Without_a_file_server_there_are_no_helper_pids()
    {
        var vmm = Start(Timeout.InfiniteTimeSpan, withFileServer: false);
        Assert.Empty(vmm.HelperPids);
        _process.Signal(Signals.SIGKILL);
        Assert.Equal("QEMU (pid 4242) killed by signal 9", await vmm.Exited);
    }

    [Fact]
    public async Task A_vmm_whose_file_server_died_is_killed_and_its_exit_quotes_the_file_server()
    {
        var vmm = Start(Timeout.InfiniteTimeSpan);
        _fileServer.LastWords = "fuse_session_loop: No such device";
        _fileServer.Die(1);
        Assert.Equal("QEMU (pid 4242) killed by signal 9; virtiofsd (pid 4343) exited 1: fuse_session_loop: No such device", await vmm.Exited);
        Assert.Equal([Signals.SIGKILL], _process.Signals);
    }

    [Fact]
    public async Task A_vmm_that_exits_on_its_own_is_not_signalled()
    {
        var vmm = Start(Timeout.InfiniteTimeSpan);
        _process.Exit(0);
        Assert.Equal("QEMU (pid 4242) exited 0", await vmm.Exited);
        Assert.Empty(_process.Signals);
    }

    [Fact]
    public async Task Stop_asks_first_and_a_vmm_that_goes_within_the_grace_period_is_not_killed()
    {
        var vmm = Start(Timeout.InfiniteTimeSpan, _ =>
        {
            _process.Exit(0);
            return Task.CompletedTask;
        });
        await vmm.StopAsync();
        Assert.Equal("QEMU (pid 4242) exited 0", await vmm.Exited);
        Assert.Empty(_process.Signals);
        Assert.Equal((1, 1, 1), (_shutdownRequests, _fileServer.Stops, _cleanUps));
    }

    [Fact]
    public async Task Stop_kills_a_vmm_that_ignores_the_request_when_the_grace_period_ends()
    {
        var vmm = Start(TimeSpan.Zero);
        await vmm.StopAsync();
        Assert.Equal([Signals.SIGKILL], _process.Signals);
        Assert.Equal("QEMU (pid 4242) killed by signal 9", await vmm.Exited);
        Assert.Equal((1, 1, 1), (_shutdownRequests, _fileServer.Stops, _cleanUps));
    }

    [Fact]
    public async Task A_cancelled_stop_kills_at_once_instead_of_waiting_out_the_grace_period()
    {
        var vmm = Start(Timeout.InfiniteTimeSpan);
        await vmm.StopAsync(new CancellationToken(canceled: true));
        Assert.Equal([Signals.SIGKILL], _process.Signals);
        Assert.Equal((1, 1), (_fileServer.Stops, _cleanUps));
    }

    [Fact]
    public async Task Stop_of_an_exited_vmm_asks_nothing_and_still_cleans_up()
    {
        var vmm = Start(Timeout.InfiniteTimeSpan);
        _process.Exit(0);
        await vmm.StopAsync();
        Assert.Empty(_process.Signals);
        Assert.Equal((0, 1, 1), (_shutdownRequests, _fileServer.Stops, _cleanUps));
    }

    [Fact]
    public async Task A_second_stop_waits_for_the_exit_and_the_clean_up_runs_once()
    {
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var vmm = Start(Timeout.InfiniteTimeSpan, _ =>
        {
            asked.SetResult();
            return Task.CompletedTask;
        });
        var first = vmm.StopAsync();
        await asked.Task;
        var second = vmm.StopAsync();
        Assert.False(second.IsCompleted);
        _process.Exit(0);
        await Task.WhenAll(first, second);
        Assert.Equal((1, 1, 1), (_shutdownRequests, _fileServer.Stops, _cleanUps));
        Assert.Empty(_process.Signals);
    }

    [Fact]
    public async Task The_clean_up_runs_even_when_the_stop_fails()
    {
        var vmm = Start(Timeout.InfiniteTimeSpan, _ => throw new IOException("qmp: connection reset"));
        await Assert.ThrowsAsync<IOException>(() => vmm.StopAsync());
        Assert.Equal(1, _cleanUps);
    }
}
