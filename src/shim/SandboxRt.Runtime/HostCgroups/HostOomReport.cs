// A guest OOM kill, made visible to the host where containerd's runc shim looks for it.
//
// Docker 20.10 runs a runc-CLI runtime through containerd's io.containerd.runc.v2 shim, which learns of
// OOM kills only from the host kernel. On a host with a v1 memory hierarchy (hybrid or legacy, as here)
// it loads the cgroups of the pid in --pid-file when `create` returns (cgroups.Load(V1, PidPath(pid)):
// our relay's) and, at `start`, registers an eventfd for memory.oom_control of that memory cgroup
// (cgroup.event_control). The kernel signals it when that cgroup, or an ancestor, runs out of memory;
// the shim then publishes /tasks/oom and dockerd sets State.OOMKilled. Our container runs out of memory
// in the guest, which the host kernel cannot see. So the relay has the host kernel run out of memory in
// the relay's memory cgroup, in a way that can only ever kill a process made for it:
//   1. the relay leaves its memory cgroup for the pod's (its charges stay behind; no task is left in it);
//   2. the cgroup's limit is set a little above what is charged to it now;
//   3. `sh` joins it, sets its own oom_score_adj to 1000 and execs `dd` with a buffer larger than that
//      limit: the kernel OOM-kills it, the only task there, and signals the shim's eventfd;
//   4. the limit is restored and the relay goes back;
//   5. it waits until the shim has read its eventfd (WaitForWatcherAsync), so that the relay's exit,
//      which may follow at once, cannot reach dockerd before the OOM event does.
// The OOM killer chooses among the tasks of the cgroup that ran out of memory and of its descendants only,
// and the VMM is in neither (it is in the parent, the pod's cgroup). A cgroup that holds another task when
// the relay has left is not touched. What the hog adds to the ancestors' usage is at most the headroom
// (reclaim inside the relay's cgroup uncharges them too), so no report is made while an ancestor with a
// limit (a pod cgroup under kubelet) has less than twice that left: its OOM could choose the VMM. Checked on this host's 6.18 kernel: the eventfd fires, oom_kill in
// memory.oom_control counts 1, a process in the parent cgroup lives on.
// On a pure cgroup v2 host the shim watches memory.events of the relay's cgroup, which is the pod's and
// holds the VMM (v2 allows no tasks beside child cgroups with controllers): nothing is done there.
using SandboxRt.Interop;
using SandboxRt.Runtime.Processes;

namespace SandboxRt.Runtime.HostCgroups;

public static class HostOomReport
{
    /// <summary>Room above what is charged now; the hog asks for this much more than the whole limit.</summary>
    public const long Headroom = 8L << 20, BeyondLimit = 16L << 20;

    /// <summary>
    /// The limit to set and the size of the hog's buffer, from what is charged to the cgroup now: the buffer
    /// alone is larger than the limit, so no reclaim of what is charged there can make room for it.
    /// </summary>
    public static (long Limit, long HogBytes) Plan(long usageBytes)
    {
        var limit = usageBytes + Headroom;
        return (limit, limit + BeyondLimit);
    }

    /// <summary>Whether an ancestor with <paramref name="limitBytes"/> and <paramref name="usageBytes"/> can take the hog's charge with room to spare.</summary>
    public static bool HasRoom(long limitBytes, long usageBytes) => limitBytes - usageBytes >= 2 * Headroom;

    /// <summary>The oom_kill counter of a v1 memory cgroup's memory.oom_control (0 when the kernel has none).</summary>
    public static long OomKills(string oomControl)
    {
        foreach (var line in oomControl.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 2 && fields[0] == "oom_kill" && long.TryParse(fields[1], out var kills))
                return kills;
        }
        return 0;
    }

    /// <summary>
    /// Has the kernel OOM-kill one process made for it in <paramref name="relayDirectory"/> (the relay's v1
    /// memory cgroup, where <paramref name="relayPid"/> is), as described atop this file. Returns the
    /// cgroup's oom_kill count after it; throws, naming the file, when a step fails or no kill was counted.
    /// </summary>
    public static async Task<long> RaiseAsync(string relayDirectory, int relayPid)
    {
        var parent = Path.GetDirectoryName(relayDirectory) ?? throw new ArgumentException($"{relayDirectory}: no parent cgroup", nameof(relayDirectory));
        HostCgroup.JoinOne(parent, relayPid);
        long after;
        try
        {
            var procs = Path.Combine(relayDirectory, "cgroup.procs");
            var others = File.ReadAllText(procs).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (others.Length > 0)
                throw new InvalidOperationException($"{procs}: holds pid(s) {string.Join(", ", others)} besides the relay; no OOM is made there");
            RequireRoomAbove(parent);
            var oomControl = Path.Combine(relayDirectory, "memory.oom_control");
            long before = OomKills(File.ReadAllText(oomControl));
            var limitFile = Path.Combine(relayDirectory, "memory.limit_in_bytes");
            var original = File.ReadAllText(limitFile).Trim();
            var (limit, hog) = Plan(long.Parse(File.ReadAllText(Path.Combine(relayDirectory, "memory.usage_in_bytes")).Trim()));
            Write(limitFile, limit.ToString());
            WaitStatus status;
            try
            {
                status = await RunHogAsync(procs, hog);
            }
            finally
            {
                Write(limitFile, original);
            }
            after = OomKills(File.ReadAllText(oomControl));
            if (after <= before)
                throw new InvalidOperationException($"{oomControl}: oom_kill stayed {after}; the hog (limit {limit} bytes, buffer {hog} bytes) {status}");
        }
        finally
        {
            HostCgroup.JoinOne(relayDirectory, relayPid);
        }
        return after;
    }

    /// <summary>The relay's report: <see cref="RaiseAsync"/>, then <see cref="WaitForWatcherAsync"/> for its parent (the shim).</summary>
    public static async Task<long> ReportAsync(string relayDirectory, int relayPid)
    {
        long kills = await RaiseAsync(relayDirectory, relayPid);
        await WaitForWatcherAsync(ProcessControl.ParentPid, WatcherBound);
        return kills;
    }

    /// <summary>The most a report waits for the watcher to take the kernel's notification (<see cref="WaitForWatcherAsync"/>).</summary>
    public static readonly TimeSpan WatcherBound = TimeSpan.FromSeconds(2);

    /// <summary>
    /// After the kill: waits until the process that watches the relay's cgroup, its parent (containerd's
    /// runc shim, which registered an eventfd on memory.oom_control), has read every eventfd it holds, that
    /// is, has taken the kernel's OOM notification; bounded by <paramref name="bound"/>, and at once when
    /// the parent holds none (no shim). The shim publishes /tasks/oom in the goroutine that read it, right
    /// after the read, while the relay's exit becomes /tasks/exit only once its SIGCHLD went through the
    /// shim's reaper; dockerd 20.10 sets State.OOMKilled only when the OOM event comes before the exit.
    /// Without this wait an exit right after the report could overtake it: with the host's CPUs busy, 2
    /// `docker run`s in 24 ended OOMKilled false (0 in 32 with it; docs/reliability.md, bug 11). Another process reading its eventfd wakes nobody, so its
    /// count in /proc/PID/fdinfo is looked at until it is 0.
    /// </summary>
    public static async Task WaitForWatcherAsync(int watcherPid, TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        while (PendingEventfds(watcherPid) > 0 && DateTime.UtcNow < deadline)
            await Task.Delay(5);
    }

    /// <summary>How many eventfds of process <paramref name="pid"/> hold a count not read yet (0 when it is gone or cannot be read).</summary>
    public static int PendingEventfds(int pid)
    {
        int pending = 0;
        try
        {
            foreach (var fd in Directory.EnumerateFiles($"/proc/{pid}/fd"))
            {
                try
                {
                    if (new FileInfo(fd).LinkTarget == "anon_inode:[eventfd]"
                        && EventfdCount(File.ReadAllText($"/proc/{pid}/fdinfo/{Path.GetFileName(fd)}")) is > 0)
                        pending++;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // closed meanwhile
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0; // the watcher has gone
        }
        return pending;
    }

    /// <summary>The "eventfd-count:" of an eventfd's /proc/PID/fdinfo text (hexadecimal), or null when it has none.</summary>
    public static ulong? EventfdCount(string fdinfo)
    {
        foreach (var line in fdinfo.Split('\n'))
            if (line.StartsWith("eventfd-count:", StringComparison.Ordinal)
                && ulong.TryParse(line["eventfd-count:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber, null, out var count))
                return count;
        return null;
    }

    /// <summary>Every ancestor up to the hierarchy's root (the first directory without memory.limit_in_bytes above it) has room.</summary>
    private static void RequireRoomAbove(string directory)
    {
        for (var d = directory; d is not null && File.Exists(Path.Combine(d, "memory.limit_in_bytes")); d = Path.GetDirectoryName(d))
        {
            long limit = long.Parse(File.ReadAllText(Path.Combine(d, "memory.limit_in_bytes")).Trim());
            long usage = long.Parse(File.ReadAllText(Path.Combine(d, "memory.usage_in_bytes")).Trim());
            if (!HasRoom(limit, usage))
                throw new InvalidOperationException($"{d}: memory.limit_in_bytes {limit} leaves {limit - usage} bytes above memory.usage_in_bytes; an OOM there could choose the VMM, so no OOM kill is reported beside it");
        }
    }

    /// <summary>sh joins the cgroup, volunteers to be chosen, and execs dd with a buffer of <paramref name="bytes"/>.</summary>
    private static async Task<WaitStatus> RunHogAsync(string procs, long bytes)
    {
        using var devNull = FileDescriptors.Open("/dev/null", FileDescriptors.ReadWrite);
        var hog = ChildProcess.Start(new SpawnOptions
        {
            Path = "/bin/sh",
            Arguments = ["sh", "-c", "echo 1000 > /proc/self/oom_score_adj && echo $$ > \"$1\" && exec dd if=/dev/zero of=/dev/null bs=\"$2\" count=1",
                "sh", procs, bytes.ToString()],
            Environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
            Descriptors = [(devNull, 0), (devNull, 1), (devNull, 2)],
        }, "oom hog");
        return await hog.Exited;
    }

    private static void Write(string path, string value)
    {
        try
        {
            File.WriteAllText(path, value);
        }
        catch (IOException e)
        {
            throw new IOException($"write {value} to {path}: {e.Message}", e);
        }
    }
}
