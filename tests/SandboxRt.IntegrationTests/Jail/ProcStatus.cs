namespace SandboxRt.IntegrationTests.Jail;

/// <summary>What /proc/PID says about a process's credentials, capabilities, descriptors, cgroups and root.</summary>
internal sealed class ProcStatus(int pid)
{
    private readonly Dictionary<string, string> _fields = File.ReadAllLines($"/proc/{pid}/status")
        .Select(l => l.Split(':', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1].Trim());

    public string this[string field] => _fields[field];

    /// <summary>The four ids of "Uid:" or "Gid:" (real, effective, saved, filesystem).</summary>
    public uint[] Ids(string field) => _fields[field].Split('\t', StringSplitOptions.RemoveEmptyEntries).Select(uint.Parse).ToArray();

    public ulong Capabilities(string set) => Convert.ToUInt64(_fields[set], 16);

    public static IReadOnlyList<int> Descriptors(int pid) =>
        Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Select(p => int.Parse(Path.GetFileName(p))).Order().ToList();

    /// <summary>The cgroup path per hierarchy line of /proc/PID/cgroup ("4:memory:/a" gives ("memory", "/a")).</summary>
    public static IReadOnlyList<(string Hierarchy, string Path)> Cgroups(int pid) =>
        File.ReadAllLines($"/proc/{pid}/cgroup").Select(l => l.Split(':', 3)).Select(p => (p[1], p[2])).ToList();

    /// <summary>What the process sees at the top of its root directory.</summary>
    public static IReadOnlyList<string> RootEntries(int pid) =>
        Directory.EnumerateFileSystemEntries($"/proc/{pid}/root/").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()!;
}
