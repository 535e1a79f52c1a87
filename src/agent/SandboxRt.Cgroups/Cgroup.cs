using System.Diagnostics;
using System.Globalization;
using SandboxRt.Cgroups.Devices;
using SandboxRt.Cgroups.Resources;
using SandboxRt.Cgroups.Stats;
using SandboxRt.Interop;
using SandboxRt.Oci.Spec;

namespace SandboxRt.Cgroups;

/// <summary>
/// One container's cgroup v2 directory: limits, membership, freezing, killing, statistics, removal.
/// Owns the descriptor of the attached device program (the attachment itself lives in the kernel and
/// survives this object; the descriptor is kept to detach the program when the rules change).
/// </summary>
public sealed class Cgroup : IDisposable
{
    /// <summary>How long freezing, thawing and removal wait by default.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    private readonly Lock _devicesGate = new();
    private SafeFdHandle? _deviceProgram;

    internal Cgroup(string path) => Path = path;

    /// <summary>The absolute directory, e.g. /sys/fs/cgroup/sandbox/c1.</summary>
    public string Path { get; }

    /// <summary>
    /// Applies OCI linux.resources: the interface-file writes of <see cref="CgroupResourceMapper"/>, then
    /// the device rules as an eBPF program. Everything is validated before the first write. Returns the
    /// plan, whose warnings list the fields cgroup v2 cannot express.
    /// </summary>
    public CgroupResourcePlan Apply(LinuxResources resources)
    {
        var plan = CgroupResourceMapper.Map(resources);
        var devices = resources.Devices is { } rules ? DeviceFilterProgram.Compile(rules) : null;
        if (resources.Memory is { CheckBeforeUpdate: true, Limit: { } limit } && limit > 0)
            CheckMemoryUsage(limit);
        foreach (var write in plan.Writes)
            Write(write);
        if (devices is not null)
            ApplyDevices(devices);
        return plan;
    }

    /// <summary>
    /// Writes one interface file; the error names the file, the value and the errno, and first the OCI
    /// field when the write has one (<see cref="CgroupWrite.Field"/>): a device rule for a device this VM
    /// does not have (the host's block devices are not the guest's) is ENODEV, said in those words.
    /// </summary>
    public void Write(CgroupWrite write)
    {
        try
        {
            CgroupFile.TryWrite(File(write.File), write.Value, missingIsError: !write.IgnoreIfMissing);
        }
        catch (CgroupException e) when (write.Field is not null)
        {
            var device = write.Value.Split(' ')[0];
            throw new CgroupResourceException(write.Field, e.Errno == Errno.ENODEV
                ? $"the VM has no block device {device}: a VM has block devices of its own, not the host's ({write.File}: ENODEV)"
                : e.Message, e);
        }
    }

    /// <summary>Reads one interface file (e.g. "memory.max").</summary>
    public string Read(string file) => CgroupFile.Read(File(file));

    /// <summary>Attaches <paramref name="program"/>, then detaches the one attached before (so no moment is unfiltered).</summary>
    public void ApplyDevices(DeviceFilterProgram program)
    {
        lock (_devicesGate)
        {
            var attached = DeviceFilter.Attach(Path, program);
            if (_deviceProgram is { } previous)
            {
                DeviceFilter.Detach(Path, previous);
                previous.Dispose();
            }
            _deviceProgram = attached;
        }
    }

    /// <summary>Moves a process (all its threads) into this cgroup.</summary>
    public void AddProcess(int pid) => CgroupFile.Write(File("cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture));

    /// <summary>The processes in this cgroup (not in its children).</summary>
    public IReadOnlyList<int> ListProcesses()
    {
        var path = File("cgroup.procs");
        var pids = new List<int>();
        foreach (var line in CgroupFile.Read(path).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            pids.Add(int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                ? pid
                : throw new CgroupException($"parse {path}: unexpected \"{line}\"", path));
        return pids;
    }

    /// <summary>cgroup.events "populated": whether any process lives here or below.</summary>
    public bool IsPopulated => Event("populated") == 1;

    /// <summary>cgroup.events "frozen": whether the freeze has completed.</summary>
    public bool IsFrozen => Event("frozen") == 1;

    /// <summary>Writes 1 to cgroup.freeze and waits until cgroup.events reports "frozen 1".</summary>
    public Task FreezeAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        SetFrozenAsync(true, timeout ?? DefaultTimeout, cancellationToken);

    /// <summary>Writes 0 to cgroup.freeze and waits until cgroup.events reports "frozen 0".</summary>
    public Task ThawAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        SetFrozenAsync(false, timeout ?? DefaultTimeout, cancellationToken);

    /// <summary>
    /// SIGKILLs every process here and below: cgroup.kill (Linux 5.14+) does it atomically; older kernels
    /// get a signal per pid in cgroup.procs, repeated while new ones appear. Does not wait for the exits.
    /// </summary>
    public void KillAll()
    {
        var killFile = File("cgroup.kill");
        if (CgroupFile.TryWrite(killFile, "1", missingIsError: false))
            return;
        var signalled = new HashSet<int>();
        for (int round = 0; round < 10; round++)
        {
            var fresh = ListProcesses().Where(signalled.Add).ToList();
            if (fresh.Count == 0)
                return;
            foreach (var pid in fresh)
                ChildProcesses.Signal(pid, Tmds.Linux.LibC.SIGKILL);
        }
    }

    /// <summary>Reads cpu, memory, pids and io counters; parts whose controller is not enabled are null.</summary>
    public CgroupStats ReadStats() => CgroupStatsReader.Read(Path);

    /// <summary>
    /// Removes the directory (rmdir). The kernel refuses with EBUSY while exiting processes are still
    /// being accounted, so that is retried until <paramref name="timeout"/>. A missing directory is not an error.
    /// </summary>
    public async Task RemoveAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var limit = timeout ?? DefaultTimeout;
        var delay = TimeSpan.FromMilliseconds(5);
        while (true)
        {
            try
            {
                Directory.Delete(Path);
                break;
            }
            catch (DirectoryNotFoundException)
            {
                break;
            }
            catch (IOException e) when (e.HResult == (int)Errno.EBUSY && clock.Elapsed < limit)
            {
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromMilliseconds(100).Ticks));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // On Linux, .NET puts the errno of a failed rmdir it has no exception type for into HResult.
                bool busy = e.HResult == (int)Errno.EBUSY;
                var reason = busy ? $"EBUSY (Device or resource busy) for {limit.TotalSeconds} s (processes or child cgroups remain)" : e.Message;
                throw new CgroupException($"rmdir {Path}: {reason}", Path, busy ? Errno.EBUSY : Errno.None, e);
            }
        }
        Dispose();
    }

    /// <summary>Closes the device program descriptor. The cgroup and its attached program stay.</summary>
    public void Dispose()
    {
        lock (_devicesGate)
        {
            _deviceProgram?.Dispose();
            _deviceProgram = null;
        }
    }

    public override string ToString() => Path;

    private string File(string name) => System.IO.Path.Combine(Path, name);

    private ulong Event(string key)
    {
        var path = File("cgroup.events");
        return CgroupFileParser.ParseFlatKeyed(CgroupFile.Read(path), path).TryGetValue(key, out var value)
            ? value
            : throw new CgroupException($"read {path}: no \"{key}\" line", path);
    }

    private async Task SetFrozenAsync(bool frozen, TimeSpan timeout, CancellationToken cancellationToken)
    {
        CgroupFile.Write(File("cgroup.freeze"), frozen ? "1" : "0");
        var clock = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(1);
        while (IsFrozen != frozen)
        {
            if (clock.Elapsed >= timeout)
                throw new CgroupException(
                    $"{(frozen ? "freeze" : "thaw")} {Path}: cgroup.events still shows \"frozen {(frozen ? 0 : 1)}\" after {timeout.TotalSeconds} s",
                    File("cgroup.events"));
            await Task.Delay(delay, cancellationToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromMilliseconds(50).Ticks));
        }
    }

    private void CheckMemoryUsage(long limit)
    {
        var path = File("memory.current");
        if (CgroupFile.TryRead(path) is not { } text)
            return;
        var usage = CgroupFileParser.ParseValue(text, path);
        if (usage >= (ulong)limit)
            throw new CgroupResourceException("linux.resources.memory.limit",
                $"the new limit {limit} is not above the current usage {usage} (checkBeforeUpdate is set)");
    }
}
