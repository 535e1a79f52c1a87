namespace SandboxRt.Bench;

/// <summary>Host processes by command line, and their proportional set size (shared pages split among their users).</summary>
internal static class HostMemory
{
    public static IEnumerable<int> Processes(string fragment)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            string cmdline;
            try
            {
                cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
            }
            catch (IOException)
            {
                continue;
            }
            if (int.TryParse(Path.GetFileName(dir), out int pid) && cmdline.Contains(fragment, StringComparison.Ordinal))
                yield return pid;
        }
    }

    public static double ProportionalSetKib(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/smaps_rollup").FirstOrDefault(l => l.StartsWith("Pss:", StringComparison.Ordinal));
            return line is null ? 0 : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>MemAvailable of the host, in KiB.</summary>
    public static double AvailableKib() =>
        double.Parse(File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
}
