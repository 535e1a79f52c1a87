// A child process and the one rule for signalling it: never after it was reaped.
//
// A pid is free for reuse once its process has been reaped, and a process group's id is its leader's
// pid: kill(pid) or kill(-pid) after the reap can reach an unrelated process (or a whole unrelated
// group) that got the number since. So the waiter thread learns of the exit with waitid(WNOWAIT), which
// leaves the child a zombie, and reaps it under the same lock that every signal takes: a signal is sent
// only while the child is alive or a zombie, when its pid (and group id) cannot belong to anyone else.
//
// A group leader (started with StartGroupLeader: virtiofsd, whose sandboxed server is a forked child)
// stays a zombie after it exits, until StopGroupAsync has sent the group its last signal: members that
// outlive the leader are still reached through the group id, and that id cannot be reused meanwhile.
using SandboxRt.Interop;

namespace SandboxRt.Runtime.Processes;

/// <summary>
/// A process this process spawned (posix_spawn through <see cref="ProcessSpawner"/>), with its exit
/// observed by a thread blocked in waitid on exactly that pid.
/// </summary>
public sealed class ChildProcess : Hypervisors.IChildProcess
{
    private readonly object _reap = new();
    private readonly bool _leadsGroup;
    private bool _reaped;

    private ChildProcess(int pid, string name, bool leadsGroup)
    {
        Pid = pid;
        Name = name;
        _leadsGroup = leadsGroup;
        Exited = Task.Factory.StartNew(() =>
        {
            var status = ChildProcesses.WaitExitedKeepingZombie(pid);
            if (!leadsGroup)
                Reap();
            return status;
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public int Pid { get; }
    public string Name { get; }

    /// <summary>
    /// Completes when the process has exited. It has been reaped by then, except for a group leader,
    /// which stays a zombie until <see cref="StopGroupAsync"/>.
    /// </summary>
    public Task<WaitStatus> Exited { get; }

    public bool HasExited => Exited.IsCompleted;

    public static ChildProcess Start(SpawnOptions options, string name) => new(ProcessSpawner.Spawn(options), name, leadsGroup: false);

    /// <summary>
    /// Starts a process that leads a session and process group of its own (<paramref name="options"/> must
    /// ask for <see cref="SpawnOptions.NewSession"/>), whose members are stopped together with
    /// <see cref="StopGroupAsync"/>; it is reaped only then.
    /// </summary>
    public static ChildProcess StartGroupLeader(SpawnOptions options, string name) =>
        options.NewSession
            ? new(ProcessSpawner.Spawn(options), name, leadsGroup: true)
            : throw new ArgumentException($"{name}: a group leader needs NewSession = true", nameof(options));

    /// <summary>Sends a signal to the process unless it was reaped already; false when nothing was sent.</summary>
    public bool Signal(int signal)
    {
        lock (_reap)
            return !_reaped && ChildProcesses.Signal(Pid, signal);
    }

    /// <summary>
    /// Sends a signal to the process group this process leads, only while the leader is not reaped (so the
    /// group id is still this one's); false when nothing was sent.
    /// </summary>
    public bool SignalGroup(int signal)
    {
        if (!_leadsGroup)
            throw new InvalidOperationException($"{Name} (pid {Pid}) was not started as a group leader");
        lock (_reap)
            return !_reaped && ChildProcesses.Signal(-Pid, signal);
    }

    /// <summary>
    /// Stops the group: SIGTERM to every member, up to <paramref name="grace"/> for the leader to exit,
    /// SIGKILL to the group (whoever outlived the leader, or the leader itself), and then reaps the leader.
    /// </summary>
    public async Task StopGroupAsync(TimeSpan grace)
    {
        SignalGroup(Signals.SIGTERM);
        await WaitAsync(grace);
        SignalGroup(Signals.SIGKILL);
        await Exited;
        Reap();
    }

    /// <summary>Waits for the exit up to <paramref name="timeout"/>; true when it exited.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var finished = await Task.WhenAny(Exited, Task.Delay(timeout, cancellationToken));
        return finished == Exited;
    }

    private void Reap()
    {
        lock (_reap)
        {
            if (_reaped)
                return;
            ChildProcesses.TryWait(Pid, block: true, out _, out _);
            _reaped = true;
        }
    }
}
