using SandboxRt.Interop;

namespace SandboxRt.Agent.Boot;

/// <summary>
/// PID 1's duty: reap every child, including orphans the kernel reparents to us. One thread blocks in
/// waitpid(-1); exits of processes someone is watching complete that watcher's task, all others are
/// simply reaped. The agent never uses System.Diagnostics.Process, whose own reaping would race this.
///
/// Nothing may install a SIGCHLD handler in the agent (no PosixSignalRegistration for it either): when
/// .NET runs as PID 1 and handles SIGCHLD, its signal thread reaps every child with waitpid(-1, WNOHANG)
/// ("pid 1 reaps orphans", System.Native's SignalHandlerLoop). Whenever that thread won the race with
/// this one, a container's exit status was thrown away and Wait hung forever. With the default
/// disposition no signal thread wakes up: this thread sleeps in waitpid while there are children and is
/// woken by <see cref="WatchAsync"/> when the first one starts.
/// </summary>
internal sealed class ChildReaper
{
    // One lock over both maps: an exit is either handed to its registered watcher or parked for the
    // watcher about to register, never both and never neither (two lock-free maps could each lose it
    // to the other when an exit and a registration crossed).
    private readonly object _sync = new();
    private readonly Dictionary<int, TaskCompletionSource<WaitStatus>> _watchers = new();
    private readonly Dictionary<int, WaitStatus> _unclaimed = new();
    private readonly AutoResetEvent _childStarted = new(false);

    public static ChildReaper Start()
    {
        var reaper = new ChildReaper();
        new Thread(reaper.Run) { IsBackground = true, Name = "reaper" }.Start();
        return reaper;
    }

    /// <summary>
    /// Completes when <paramref name="pid"/> exits. Call right after starting the child: an exit that
    /// was reaped before the call is kept and delivered here.
    /// </summary>
    public Task<WaitStatus> WatchAsync(int pid)
    {
        Task<WaitStatus> task;
        lock (_sync)
        {
            if (_unclaimed.Remove(pid, out var status))
                return Task.FromResult(status);
            if (!_watchers.TryGetValue(pid, out var tcs))
                _watchers[pid] = tcs = new TaskCompletionSource<WaitStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
            task = tcs.Task;
        }
        _childStarted.Set();
        return task;
    }

    private void Run()
    {
        while (true)
        {
            try
            {
                if (ChildProcesses.TryWait(-1, block: true, out int pid, out var status))
                    Deliver(pid, status);
                else
                    _childStarted.WaitOne(TimeSpan.FromSeconds(1)); // no children right now
            }
            catch (Exception e)
            {
                AgentLog.Error($"reaper: {e.Message}");
                Thread.Sleep(100);
            }
        }
    }

    private void Deliver(int pid, WaitStatus status)
    {
        TaskCompletionSource<WaitStatus>? watcher;
        lock (_sync)
        {
            if (!_watchers.Remove(pid, out watcher))
            {
                // Either an orphan (reaped and forgotten) or a child whose watcher is about to register.
                _unclaimed[pid] = status;
                if (_unclaimed.Count > 1024)
                    foreach (var stale in _unclaimed.Keys.Take(512).ToList())
                        _unclaimed.Remove(stale);
                return;
            }
        }
        watcher.TrySetResult(status);
    }
}
