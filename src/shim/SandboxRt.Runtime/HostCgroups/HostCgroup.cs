using System.Text.Json;

namespace SandboxRt.Runtime.HostCgroups;

/// <summary>
/// The pod's cgroup on the host (linux.cgroupsPath of the sandbox's spec), as Kata's
/// sandbox_cgroup_only: the VMM and virtiofsd (and the CLI's relay, which containerd's runc shim and
/// Docker read stats from) run in it, so limits the engine or kubelet puts there bound the whole VM.
/// SandboxRt sets no limit of its own here (sizing the VM is the configuration's job) but the CPUs and
/// memory nodes the containers were limited to (<see cref="HostCpuset"/>). What is missing
/// is created, in every hierarchy, and recorded in the sandbox's state directory (host-cgroup.json), so
/// that delete, and the clean-up after a crash, remove exactly the directories SandboxRt made.
/// The CLI's relay sits beside its VM in every hierarchy but the v1 memory one, where it has a child
/// cgroup of its own (<see cref="RelayLeaf"/>): containerd's runc shim watches the memory cgroup of the
/// pid in --pid-file for OOM events, and a guest OOM kill is reported there (HostOomReport) by an OOM
/// kill that may only ever choose a process made for it, never the VMM.
/// </summary>
public sealed class HostCgroup
{
    public const string RecordFile = "host-cgroup.json";
    private static readonly TimeSpan EmptyTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The cgroup path as resolved from the spec.</summary>
    public string Path { get; set; } = "";

    /// <summary>Its directory in each hierarchy: what processes join.</summary>
    public List<string> Directories { get; set; } = [];

    /// <summary>Directories this sandbox created (parents before children), and only those are removed.</summary>
    public List<string> Created { get; set; } = [];

    /// <summary>The relay's own v1 memory cgroup (a child of the memory directory), once it joined; else null.</summary>
    public string? RelayDirectory { get; set; }

    /// <summary>The name of the relay's memory cgroup under the pod's.</summary>
    public const string RelayLeaf = "sandboxrt-relay";

    /// <summary>Creates what is missing of <paramref name="path"/> in every hierarchy.</summary>
    public static HostCgroup Create(string path, IReadOnlyList<CgroupHierarchy>? hierarchies = null)
    {
        hierarchies ??= CgroupHierarchies.Discover();
        if (hierarchies.Count == 0)
            throw new InvalidOperationException($"linux.cgroupsPath {path}: no cgroup hierarchy is mounted on this host");
        var cgroup = new HostCgroup { Path = path };
        try
        {
            foreach (var hierarchy in hierarchies)
            {
                var directory = hierarchy.DirectoryOf(path);
                cgroup.Directories.Add(directory);
                cgroup.CreateIn(hierarchy, directory);
            }
            return cgroup;
        }
        catch
        {
            cgroup.Remove();
            throw;
        }
    }

    private void CreateIn(CgroupHierarchy hierarchy, string directory)
    {
        var mount = hierarchy.MountPoint.TrimEnd('/');
        var relative = directory[mount.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries);
        var current = mount;
        foreach (var part in relative)
        {
            var parent = current;
            current += "/" + part;
            if (hierarchy.IsUnified)
                EnableControllers(parent);
            if (System.IO.Directory.Exists(current))
                continue;
            try
            {
                System.IO.Directory.CreateDirectory(current);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new IOException($"linux.cgroupsPath {Path}: mkdir {current}: {e.Message}", e);
            }
            Created.Add(current);
            if (hierarchy.Controllers.Split(',').Contains("cpuset"))
                InheritCpuset(parent, current);
        }
    }

    /// <summary>
    /// A new v1 cpuset cgroup starts with no CPUs and no memory nodes, and nothing can join it (ENOSPC)
    /// until they are set: copy the parent's, as runc does (this is no limit: the same as the parent).
    /// </summary>
    private static void InheritCpuset(string parent, string child)
    {
        foreach (var file in new[] { "cpuset.cpus", "cpuset.mems" })
        {
            var own = System.IO.Path.Combine(child, file);
            if (File.Exists(own) && File.ReadAllText(own).Trim().Length == 0)
                File.WriteAllText(own, File.ReadAllText(System.IO.Path.Combine(parent, file)).Trim());
        }
    }

    /// <summary>
    /// cgroup2: the controllers the parent has, made available to its children (runc does the same on the
    /// way down), so that the engine's limits and stats files exist in the pod's cgroup. On a hybrid host
    /// the unified hierarchy has no controllers and this writes nothing. Best effort: a parent with
    /// processes of its own cannot delegate domain controllers, and that is the engine's layout to fix.
    /// </summary>
    private static void EnableControllers(string directory)
    {
        var available = System.IO.Path.Combine(directory, "cgroup.controllers");
        var control = System.IO.Path.Combine(directory, "cgroup.subtree_control");
        if (!File.Exists(available) || !File.Exists(control))
            return;
        var enabled = File.ReadAllText(control).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
        foreach (var controller in File.ReadAllText(available).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (enabled.Contains(controller))
                continue;
            try
            {
                File.WriteAllText(control, "+" + controller);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>
    /// Pins the cgroup's processes to <paramref name="cpuset"/>'s CPUs and memory nodes (cpuset.cpus and
    /// cpuset.mems, in the v1 cpuset hierarchy or the unified one); what it leaves unpinned gets the
    /// parent's (v1: a copy; cgroup2: "", which is the parent's). A list the host cannot give fails, naming
    /// the field and what the parent allows; so does a pinned set on a host with no cpuset controller here.
    /// </summary>
    public void SetCpuset(HostCpuset cpuset)
    {
        var directory = Directories.FirstOrDefault(d => File.Exists(System.IO.Path.Combine(d, "cpuset.cpus")));
        if (directory is null)
        {
            if (cpuset.IsPinned)
                throw new IOException($"linux.resources.cpu.{(cpuset.Cpus is not null ? "cpus" : "mems")}: the host cgroup {Path} has no cpuset controller to pin the VM to host CPUs and memory nodes with");
            return;
        }
        bool unified = File.Exists(System.IO.Path.Combine(directory, "cgroup.controllers"));
        var parent = System.IO.Path.GetDirectoryName(directory)!;
        foreach (var (name, value) in new[] { ("mems", cpuset.Mems), ("cpus", cpuset.Cpus) })
        {
            var file = System.IO.Path.Combine(directory, "cpuset." + name);
            var parentFile = System.IO.Path.Combine(parent, unified ? $"cpuset.{name}.effective" : $"cpuset.{name}");
            try
            {
                var wanted = value ?? (unified ? "" : File.ReadAllText(parentFile).Trim());
                if (File.ReadAllText(file).Trim() != wanted) // an unpinned VM's cgroup is mostly as it was made: no write
                    File.WriteAllText(file, wanted);
            }
            catch (IOException e)
            {
                var allowed = File.Exists(parentFile) ? File.ReadAllText(parentFile).Trim() : "?";
                throw new IOException($"linux.resources.cpu.{name} \"{value ?? "(the parent's)"}\": the host cgroup refuses it: {e.Message} (the host allows {allowed} here)", e);
            }
        }
    }

    /// <summary>
    /// Moves the CLI's relay <paramref name="pid"/> in: the cgroup itself in every hierarchy but the v1
    /// memory one, where the relay gets <see cref="RelayLeaf"/>, created (and recorded) here. On a host
    /// without a v1 memory hierarchy (pure cgroup v2) it joins the cgroup itself everywhere.
    /// </summary>
    public void JoinRelay(int pid, IReadOnlyList<CgroupHierarchy>? hierarchies = null)
    {
        hierarchies ??= CgroupHierarchies.Discover();
        var memory = hierarchies.FirstOrDefault(h => h.Controllers.Split(',').Contains("memory"));
        var memoryDirectory = memory is null ? null : Directories.FirstOrDefault(d => d.StartsWith(memory.MountPoint.TrimEnd('/') + "/", StringComparison.Ordinal));
        foreach (var directory in Directories)
        {
            var target = directory;
            if (directory == memoryDirectory)
            {
                target = System.IO.Path.Combine(directory, RelayLeaf);
                if (!System.IO.Directory.Exists(target))
                {
                    try
                    {
                        System.IO.Directory.CreateDirectory(target);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        throw new IOException($"linux.cgroupsPath {Path}: mkdir {target}: {e.Message}", e);
                    }
                    Created.Add(target);
                }
                RelayDirectory = target;
            }
            JoinOne(target, pid);
        }
    }

    /// <summary>Moves <paramref name="pid"/> (all its threads) into the one cgroup <paramref name="directory"/>.</summary>
    public static void JoinOne(string directory, int pid)
    {
        var procs = System.IO.Path.Combine(directory, "cgroup.procs");
        try
        {
            File.WriteAllText(procs, pid.ToString());
        }
        catch (IOException e)
        {
            throw new IOException($"write {pid} to {procs}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Removes the directories this sandbox created, deepest first. The cgroup its processes were in is
    /// waited for until it is empty (a killed process leaves it when it is reaped), bounded; a parent
    /// that another cgroup still uses is left alone.
    /// </summary>
    public void Remove()
    {
        foreach (var directory in Created.AsEnumerable().Reverse())
        {
            if (!System.IO.Directory.Exists(directory))
                continue;
            bool leaf = Directories.Contains(directory) || directory == RelayDirectory;
            var deadline = DateTime.UtcNow + (leaf ? EmptyTimeout : TimeSpan.Zero);
            while (true)
            {
                try
                {
                    System.IO.Directory.Delete(directory); // rmdir: a cgroup directory's files are not files
                    break;
                }
                catch (IOException) when (System.IO.Directory.Exists(directory))
                {
                    if (DateTime.UtcNow >= deadline || HasChildren(directory))
                        break;
                    Thread.Sleep(10);
                }
                catch (DirectoryNotFoundException)
                {
                    break;
                }
            }
        }
    }

    private static bool HasChildren(string directory) => System.IO.Directory.EnumerateDirectories(directory).Any();

    public void Save(string stateDirectory)
    {
        var path = System.IO.Path.Combine(stateDirectory, RecordFile);
        using var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        JsonSerializer.Serialize(file, this, HostCgroupJsonContext.Default.HostCgroup);
    }

    public static HostCgroup? Load(string stateDirectory)
    {
        var path = System.IO.Path.Combine(stateDirectory, RecordFile);
        if (!File.Exists(path))
            return null;
        using var file = File.OpenRead(path);
        return JsonSerializer.Deserialize(file, HostCgroupJsonContext.Default.HostCgroup);
    }

    /// <summary>
    /// SIGKILLs every process still in a leaf cgroup this sandbox created (the VM's, and the relay's v1
    /// memory one): what it spawned but never recorded, such as a VMM started by a shim or a relay that
    /// was killed before it saved the VMM's pid. Every process the jailer starts joins the cgroup before
    /// exec, so nothing of the sandbox escapes this. Cgroups the sandbox did not create are left alone:
    /// they may hold processes that are not its own. Returns how many were signalled.
    /// </summary>
    public int KillLeftovers()
    {
        int killed = 0;
        foreach (var directory in Created.Where(d => Directories.Contains(d) || d == RelayDirectory))
            foreach (var pid in Members(directory))
                if (pid != Environment.ProcessId && SandboxRt.Interop.ChildProcesses.Signal(pid, 9))
                    killed++;
        return killed;
    }

    /// <summary>The processes in the one cgroup <paramref name="directory"/> (cgroup.procs); none when it is gone.</summary>
    public static IReadOnlyList<int> Members(string directory)
    {
        try
        {
            return File.ReadAllLines(System.IO.Path.Combine(directory, "cgroup.procs")).Select(l => int.TryParse(l, out int pid) ? pid : 0).Where(p => p > 0).ToList();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return [];
        }
    }

    /// <summary><see cref="KillLeftovers"/> for the record in <paramref name="stateDirectory"/> (none: 0).</summary>
    public static int KillLeftoversRecorded(string stateDirectory) => Load(stateDirectory)?.KillLeftovers() ?? 0;

    /// <summary>For delete and crash clean-up: removes what the record in <paramref name="stateDirectory"/> says was created.</summary>
    public static void RemoveRecorded(string stateDirectory)
    {
        Load(stateDirectory)?.Remove();
        if (System.IO.Directory.Exists(stateDirectory))
            File.Delete(System.IO.Path.Combine(stateDirectory, RecordFile));
    }

    /// <summary>Moves the relay <paramref name="pid"/> into the recorded cgroup (see <see cref="JoinRelay"/>), when the sandbox has one.</summary>
    public static void JoinRelayRecorded(string stateDirectory, int pid)
    {
        if (Load(stateDirectory) is not { } cgroup)
            return;
        cgroup.JoinRelay(pid);
        cgroup.Save(stateDirectory);
    }
}
