namespace SandboxRt.IntegrationTests.Support;

/// <summary>Looks for leftover processes by their command line.</summary>
internal static class ProcessTable
{
    /// <summary>Pids whose command line contains <paramref name="fragment"/>.</summary>
    public static List<int> Find(string fragment)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid) || pid == Environment.ProcessId)
                continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains(fragment, StringComparison.Ordinal))
                    found.Add(pid);
            }
            catch (IOException)
            {
            }
        }
        return found;
    }

    /// <summary>
    /// Pids whose command line contains <paramref name="fragment"/> and whose parent's does not: a script
    /// that forks (a shell loop running `sleep`) shows its forked child with its own command line until
    /// that child execs, and a loaded machine catches that moment.
    /// </summary>
    public static List<int> FindTopmost(string fragment)
    {
        var found = Find(fragment);
        return found.Where(pid => !found.Contains(ParentOf(pid))).ToList();
    }

    /// <summary>The CPUs each thread of <paramref name="pids"/> may run on (Cpus_allowed_list: QEMU's vCPUs are its threads).</summary>
    public static List<string> ThreadAffinities(IEnumerable<int> pids) =>
        pids.SelectMany(pid => Directory.EnumerateDirectories($"/proc/{pid}/task"))
            .Select(task => File.ReadAllLines(Path.Combine(task, "status")).First(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal)).Split('\t')[^1].Trim())
            .ToList();

    private static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
        }
        catch (IOException)
        {
            return 0; // gone
        }
    }
}
