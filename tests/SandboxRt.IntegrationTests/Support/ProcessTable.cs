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
}
