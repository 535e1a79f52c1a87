using SandboxRt.Interop;
using SandboxRt.IntegrationTests.Support;
using SandboxRt.Runtime.Processes;
using SandboxRt.Runtime.State;

namespace SandboxRt.IntegrationTests.Host;

/// <summary>
/// Process groups are signalled only while their leader is not reaped, and processes that are not our
/// children only through pidfds: a pid (or group id) is never signalled after it could have been reused.
/// </summary>
[Trait("Tier", "host")]
public sealed class ProcessGroupSignalTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60); // fails a hung step; not waited out when it passes

    private static SpawnOptions Shell(string script, bool newSession = true) =>
        new() { Path = "/bin/sh", Arguments = ["sh", "-c", script], NewSession = newSession };

    private static char State(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[stat.LastIndexOf(')') + 2];
    }

    private static async Task<int> ReadPidAsync(string file)
    {
        await Condition.WaitAsync(() => File.Exists(file) && File.ReadAllText(file).EndsWith('\n'), $"{file} to be written", Limit);
        return int.Parse(File.ReadAllText(file).Trim());
    }

    [Fact]
    public async Task A_group_leader_that_exited_keeps_its_pid_until_its_group_got_the_last_signal()
    {
        // The leader (as virtiofsd's parent does when it is SIGTERMed) exits and leaves a member behind.
        using var dir = new ScratchDirectory("srt-pg");
        var memberFile = dir.Combine("member");
        var leader = ChildProcess.StartGroupLeader(Shell($"trap '' TERM; sleep 1000 & echo $! > {memberFile}; exit 0"), "leader");
        int member = await ReadPidAsync(memberFile);
        using var memberFd = PidFd.TryOpen(member)!;
        await leader.Exited;

        // Exited, not reaped: the pid, and so the group id, cannot be anybody else's yet.
        Assert.Equal('Z', State(leader.Pid));
        Assert.True(leader.SignalGroup(0));

        await leader.StopGroupAsync(TimeSpan.FromSeconds(2));
        await Condition.WaitAsync(() => memberFd.HasExited, "the member that outlived the leader to die of SIGKILL", Limit);
        Assert.False(Directory.Exists($"/proc/{leader.Pid}"));      // reaped now
        Assert.False(leader.SignalGroup(Signals.SIGKILL));           // and never signalled again
        Assert.False(leader.Signal(Signals.SIGKILL));
    }

    [Fact]
    public async Task A_reaped_child_is_never_signalled()
    {
        var child = ChildProcess.Start(Shell("exit 3", newSession: false), "short");
        Assert.Equal(3, (await child.Exited).ExitCode);
        Assert.False(Directory.Exists($"/proc/{child.Pid}") && State(child.Pid) == 'Z', "a plain child is reaped when it exits");
        Assert.False(child.Signal(Signals.SIGKILL));
        Assert.Throws<InvalidOperationException>(() => child.SignalGroup(Signals.SIGKILL));
    }

    [Fact]
    public async Task A_detached_helper_and_its_children_are_stopped_through_pidfds()
    {
        using var dir = new ScratchDirectory("srt-pg");
        var ready = dir.Combine("ready");
        var leader = ChildProcess.StartGroupLeader(Shell($"sleep 1000 & sleep 1000 & echo $$ > {ready}; wait"), "helper");
        await ReadPidAsync(ready);
        var identity = ProcessIdentity.Of(leader.Pid)!;

        // A recorded identity whose pid now names another process (another start time) pins nothing.
        Assert.Null(PinnedProcessTree.Pin(identity with { StartTime = identity.StartTime + 1 }));

        using var tree = PinnedProcessTree.Pin(identity)!;
        Assert.Equal(3, tree.Count);                                   // sh and its two sleeps
        await tree.StopAsync(TimeSpan.FromSeconds(5));
        Assert.True(tree.AllExited);
        Assert.Equal(0, tree.Signal(Signals.SIGKILL));                 // nothing left to signal, and nothing else signalled
        await leader.StopGroupAsync(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Waiting_for_a_pinned_tree_ends_at_its_last_exit_and_reports_a_process_that_outlived_the_timeout()
    {
        using var dir = new ScratchDirectory("srt-pg");
        var ready = dir.Combine("ready");
        // both ignore SIGTERM (sleep inherits the ignored disposition): only SIGKILL ends them
        var leader = ChildProcess.StartGroupLeader(Shell($"trap '' TERM; sleep 1000 & echo $$ > {ready}; wait"), "stubborn");
        await ReadPidAsync(ready);
        using var tree = PinnedProcessTree.Pin(ProcessIdentity.Of(leader.Pid)!)!;
        Assert.Equal(2, tree.Count);
        Assert.Equal(2, tree.Signal(Signals.SIGTERM));
        Assert.False(await tree.WaitAllExitedAsync(TimeSpan.FromMilliseconds(300))); // the timeout is reported, not waited past
        Assert.False(tree.AllExited);
        var killed = tree.WaitAllExitedAsync(Limit);
        Assert.Equal(2, tree.Signal(Signals.SIGKILL));
        Assert.True(await killed); // woken by the exits, well before the limit
        Assert.True(tree.AllExited);
        await leader.StopGroupAsync(TimeSpan.FromSeconds(1));
    }
}
