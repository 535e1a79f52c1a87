namespace SandboxRt.IntegrationTests.Support;

/// <summary>
/// Everything on the host a sandbox can leave behind, read at one moment: its processes (QEMU, virtiofsd,
/// relays, shims, the jailer), mounts, entries under /run (sandboxrt's state, socket, shim and jail-user
/// directories, /run/virtiofsd, containerd's shim bundles), host cgroups, tap devices, and .NET diagnostic
/// files in TMPDIR. Each thing is one line of text (what a failure message prints); the line carries what
/// the thing is attributed by (a command line, a path, a jail reservation's owner). See
/// <see cref="LeakChecker"/> for how two snapshots are compared.
/// </summary>
internal sealed class HostSnapshot
{
    private static readonly string[] RunDirectories =
        ["/run/sandboxrt", "/run/sandboxrt/sock", "/run/sandboxrt/shim", "/run/virtiofsd", "/run/containerd/io.containerd.runtime.v2.task"];
    private static readonly string[] ProcessNames = ["qemu-system", "virtiofsd", "sandboxrt", "containerd-shim-sandboxrt", "sandboxrt-jailer"];

    private HostSnapshot(IReadOnlyDictionary<string, HashSet<string>> entries) => Entries = entries;

    /// <summary>category (process, mount, run, jail-user, cgroup, tap, dotnet-diagnostic) to its entries.</summary>
    public IReadOnlyDictionary<string, HashSet<string>> Entries { get; }

    public static HostSnapshot Empty { get; } = new(new Dictionary<string, HashSet<string>>());

    public static HostSnapshot Take() => new(new Dictionary<string, HashSet<string>>
    {
        ["process"] = Processes(),
        ["mount"] = File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4])
            .Where(m => m.StartsWith("/run/sandboxrt") || m.StartsWith("/run/virtiofsd") || m.StartsWith("/tmp/")).ToHashSet(),
        ["run"] = RunEntries(),
        ["jail-user"] = JailUsers(),
        ["cgroup"] = Cgroups(),
        ["tap"] = Directory.Exists("/sys/class/net") ? Directory.EnumerateFileSystemEntries("/sys/class/net", "*_srt").ToHashSet() : [],
        ["dotnet-diagnostic"] = DiagnosticFiles(),
    });

    /// <summary>Processes of the runtime's kinds, as "pid: command line [relay of ...]".</summary>
    private static HashSet<string> Processes()
    {
        var found = new HashSet<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid) || pid == Environment.ProcessId)
                continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Trim();
                var exe = cmdline.Split(' ')[0];
                if (!ProcessNames.Any(n => Path.GetFileName(exe).StartsWith(n, StringComparison.Ordinal)))
                    continue;
                // a relay is the CLI re-executed with its arguments in the environment
                var relay = File.ReadAllText(Path.Combine(dir, "environ")).Split('\0').FirstOrDefault(e => e.StartsWith("SANDBOXRT_RELAY_ARGS="));
                found.Add($"{pid}: {cmdline}{(relay is null ? "" : $" [{relay}]")}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return found;
    }

    private static HashSet<string> RunEntries()
    {
        var found = new HashSet<string>();
        foreach (var directory in RunDirectories)
        {
            try
            {
                foreach (var entry in Directory.EnumerateFileSystemEntries(directory))
                {
                    found.Add(entry);
                    // containerd's shim bundles are <namespace>/<id>
                    if (directory.StartsWith("/run/containerd") && Directory.Exists(entry))
                        found.UnionWith(Directory.EnumerateFileSystemEntries(entry));
                }
            }
            catch (DirectoryNotFoundException)
            {
            }
        }
        return found;
    }

    /// <summary>Jail uid reservations as "file owner" (the owner is the sandbox's state directory).</summary>
    private static HashSet<string> JailUsers()
    {
        var found = new HashSet<string>();
        var directory = SandboxRt.Runtime.Hypervisors.Jail.JailUserPool.DefaultDirectory;
        if (!Directory.Exists(directory))
            return found;
        foreach (var file in Directory.EnumerateFiles(directory).Where(f => !f.EndsWith(".lock")))
        {
            try
            {
                found.Add($"{file} {File.ReadAllText(file).Trim()}");
            }
            catch (FileNotFoundException)
            {
            }
        }
        return found;
    }

    /// <summary>Cgroup directories three levels deep in every hierarchy (pods' cgroupsPath is /ns/id or a parent:id form).</summary>
    private static HashSet<string> Cgroups()
    {
        var found = new HashSet<string>();
        void Walk(string directory, int depth)
        {
            if (depth == 0)
                return;
            IEnumerable<string> children;
            try
            {
                children = Directory.EnumerateDirectories(directory).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return;
            }
            foreach (var child in children)
            {
                found.Add(child);
                Walk(child, depth - 1);
            }
        }
        if (Directory.Exists("/sys/fs/cgroup"))
            foreach (var hierarchy in Directory.EnumerateDirectories("/sys/fs/cgroup"))
                Walk(hierarchy, 3);
        return found;
    }

    /// <summary>.NET diagnostic pipes and sockets in TMPDIR whose process is gone (a live process's are its own).</summary>
    private static HashSet<string> DiagnosticFiles()
    {
        var tmp = Environment.GetEnvironmentVariable("TMPDIR") is { Length: > 0 } t ? t : "/tmp";
        var found = new HashSet<string>();
        foreach (var file in Directory.EnumerateFileSystemEntries(tmp))
        {
            var name = Path.GetFileName(file);
            var prefix = name.StartsWith("clr-debug-pipe-") ? "clr-debug-pipe-" : name.StartsWith("dotnet-diagnostic-") ? "dotnet-diagnostic-" : null;
            if (prefix is null || !int.TryParse(name[prefix.Length..].Split('-')[0], out int pid))
                continue;
            if (!Directory.Exists($"/proc/{pid}"))
                found.Add(file);
        }
        return found;
    }
}
