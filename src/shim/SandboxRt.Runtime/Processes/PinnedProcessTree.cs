// Signalling processes that are not our children.
//
// A VM's helpers outlive the process that started them (the relay of an earlier CLI call): `delete`
// finds them by the pid and start time recorded in state.json. Signalling them by pid, or their group
// by -pid, races with pid reuse: between "it is alive" and kill(2) the process can exit, be reaped by
// whoever inherited it, and its number be given to an unrelated process (or group). A pidfd refers to
// one process and never follows its number to a new owner, so each process is pinned with pidfd_open
// first and checked after that (start time for the recorded leader, parent for each descendant while
// that parent is still alive); from then on every signal goes through the pidfd. No group is ever
// signalled by id here: the members are the leader's descendants, found through /proc/PID/task/*/children
// while the leader is pinned and alive.
using SandboxRt.Interop;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Processes;

/// <summary>A recorded process and its descendants, each held by a pidfd.</summary>
public sealed class PinnedProcessTree : IDisposable
{
    /// <summary>At most this many processes are pinned (a helper has a handful).</summary>
    public const int MaxProcesses = 256;
    private readonly List<PidFd> _processes;

    private PinnedProcessTree(List<PidFd> processes) => _processes = processes;

    /// <summary>How many processes are pinned: the leader first, then its descendants.</summary>
    public int Count => _processes.Count;

    public IEnumerable<int> Pids => _processes.Select(p => p.Pid);

    /// <summary>Pins the recorded process (and its descendants); null when that very process is gone.</summary>
    public static PinnedProcessTree? Pin(ProcessIdentity leader, bool withDescendants = true)
    {
        var fd = PidFd.TryOpen(leader.Pid);
        if (fd is null)
            return null;
        if (ProcessIdentity.Of(leader.Pid)?.StartTime != leader.StartTime)
        {
            fd.Dispose(); // the number belongs to another process now
            return null;
        }
        var pinned = new List<PidFd> { fd };
        for (int i = 0; withDescendants && i < pinned.Count && pinned.Count < MaxProcesses; i++)
        {
            var parent = pinned[i];
            foreach (int child in Children(parent.Pid))
            {
                if (pinned.Count >= MaxProcesses || pinned.Any(p => p.Pid == child))
                    continue;
                var childFd = PidFd.TryOpen(child);
                if (childFd is null)
                    continue;
                // Still the parent's child, and the parent still the one pinned (alive: its pid not reused).
                if (ParentOf(child) == parent.Pid && !parent.HasExited)
                    pinned.Add(childFd);
                else
                    childFd.Dispose();
            }
        }
        return new PinnedProcessTree(pinned);
    }

    /// <summary>Sends <paramref name="signal"/> to every pinned process still running; how many got it.</summary>
    public int Signal(int signal) => _processes.Count(p => !p.HasExited && p.Signal(signal));

    /// <summary>True once every pinned process has exited.</summary>
    public bool AllExited => _processes.All(p => p.HasExited);

    /// <summary>Waits up to <paramref name="timeout"/> for every pinned process to exit; true when they did.</summary>
    /// <remarks>
    /// Woken by each pidfd's exit (<see cref="PidFd.WaitExitedAsync"/>), not by polling: `delete` waits
    /// here for QEMU, virtiofsd and the relays, and a 20 ms poll cost it up to 20 ms per wait.
    /// </remarks>
    public async Task<bool> WaitAllExitedAsync(TimeSpan timeout)
    {
        var running = _processes.Where(p => !p.HasExited).ToList();
        if (running.Count == 0)
            return true;
        var exited = Task.WhenAll(running.Select(p => p.WaitExitedAsync()));
        using var cancel = new CancellationTokenSource();
        var finished = await Task.WhenAny(exited, Task.Delay(timeout, cancel.Token));
        cancel.Cancel();
        return finished == exited || AllExited;
    }

    /// <summary>SIGTERM, up to <paramref name="grace"/> for all to exit, then SIGKILL to whoever is left.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        Signal(Signals.SIGTERM);
        if (!await WaitAllExitedAsync(grace))
        {
            Signal(Signals.SIGKILL);
            await WaitAllExitedAsync(TimeSpan.FromSeconds(5));
        }
    }

    public void Dispose()
    {
        foreach (var process in _processes)
            process.Dispose();
    }

    private static IEnumerable<int> Children(int pid)
    {
        var found = new List<int>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                var text = File.ReadAllText(Path.Combine(task, "children"));
                foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    if (int.TryParse(word, out int child) && child > 0)
                        found.Add(child);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // the process went away while we read: it has no children to pin
        }
        return found;
    }

    private static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1]);
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
