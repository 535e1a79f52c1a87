using System.Text;

namespace SandboxRt.Runtime.HostCgroups;

/// <summary>
/// The host's cgroup hierarchies, from /proc/thread-self/mountinfo (where each is mounted: this thread's view,
/// for a relay's main thread has a mount namespace of its own, RelayMountView) and /proc/self/cgroup
/// (where we are in each). A hybrid host (as here) has the v1 controllers under /sys/fs/cgroup/NAME and
/// cgroup2 at /sys/fs/cgroup/unified; a pure v2 host has cgroup2 alone at /sys/fs/cgroup. Every
/// hierarchy counts, as runc's cgroupfs driver joins them all (name=systemd and, on hybrid hosts, the
/// unified one included).
/// </summary>
public static class CgroupHierarchies
{
    private static readonly HashSet<string> V1Controllers =
        ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "net_prio", "blkio", "perf_event", "hugetlb", "pids", "rdma", "misc"];

    public static IReadOnlyList<CgroupHierarchy> Discover() =>
        Parse(File.ReadAllText("/proc/thread-self/mountinfo"), File.ReadAllText("/proc/self/cgroup"));

    public static IReadOnlyList<CgroupHierarchy> Parse(string mountinfo, string procCgroup)
    {
        var own = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in procCgroup.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(':', 3);
            if (fields.Length == 3)
                own[Key(fields[1].Split(','))] = fields[2];
        }
        var found = new List<CgroupHierarchy>();
        foreach (var line in mountinfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ');
            int dash = Array.IndexOf(fields, "-");
            if (dash < 5 || dash + 3 >= fields.Length)
                continue;
            var type = fields[dash + 1];
            if (type is not ("cgroup" or "cgroup2"))
                continue;
            var root = Unescape(fields[3]);
            var mountPoint = Unescape(fields[4]);
            var key = type == "cgroup2" ? "" : Key(fields[dash + 3].Split(','));
            if (type == "cgroup" && key.Length == 0)
                continue;
            var existing = found.FindIndex(h => h.Controllers == key);
            var hierarchy = new CgroupHierarchy(key, mountPoint, root, own.GetValueOrDefault(key, "/"));
            if (existing < 0)
                found.Add(hierarchy);
            else if (found[existing].MountRoot != "/" && root == "/")
                found[existing] = hierarchy; // prefer a mount of the whole hierarchy
        }
        return found;
    }

    /// <summary>A hierarchy's identity: its controllers (and name=) sorted; "" for cgroup2.</summary>
    private static string Key(IEnumerable<string> options) =>
        string.Join(',', options.Where(o => V1Controllers.Contains(o) || o.StartsWith("name=", StringComparison.Ordinal)).Order(StringComparer.Ordinal));

    /// <summary>mountinfo escapes space, tab, newline and backslash as \ooo.</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\'))
            return field;
        var bytes = new List<byte>();
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                bytes.Add(Convert.ToByte(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
                bytes.AddRange(Encoding.UTF8.GetBytes(field[i].ToString()));
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsOctal(string s, int at) =>
        at + 3 <= s.Length && s.Substring(at, 3).All(c => c is >= '0' and <= '7');
}
