namespace SandboxRt.IntegrationTests.Support;

/// <summary>What a deleted container must not leave on the host, looked up by its id.</summary>
internal static class HostLeaks
{
    /// <summary>Waits (bounded) until nothing of the container is left (see <see cref="LeakChecker"/>).</summary>
    public static Task AssertGoneAsync(string id, string runtimeRoot, TimeSpan? within = null) =>
        LeakChecker.ForCli(runtimeRoot, id, HostSnapshot.Empty).AssertCleanAsync(within);

    /// <summary>
    /// For fixtures that tear down a daemon: SIGKILL every process whose command line or relay arguments
    /// name a path under <paramref name="directory"/> (VMs, virtiofsd, relays a failed test left), then
    /// lazily unmount everything under it.
    /// </summary>
    public static void KillEverythingUnder(string directory)
    {
        var killed = new List<int>();
        foreach (var proc in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(proc), out int pid) || pid == Environment.ProcessId)
                continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(proc, "cmdline")).Replace('\0', ' ');
                var environ = File.ReadAllText(Path.Combine(proc, "environ"));
                if (cmdline.Contains(directory) || environ.Contains("SANDBOXRT_RELAY_ARGS") && environ.Contains(directory))
                    if (SandboxRt.Interop.ChildProcesses.Signal(pid, 9))
                        killed.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        // their mounts go once they have exited (a zombie holds none); bounded: this is a teardown
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (killed.Any(Running) && DateTime.UtcNow < deadline)
            Thread.Sleep(20);
        foreach (var mount in File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4]).Where(m => m.StartsWith(directory)).OrderByDescending(m => m.Length))
            SandboxRt.Interop.FileSystem.TryUnmount(mount, detach: true);
    }

    /// <summary>Whether the process exists and is not a zombie (/proc/PID/stat: the state follows the command's closing parenthesis).</summary>
    private static bool Running(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            int end = stat.LastIndexOf(')');
            return end > 0 && end + 2 < stat.Length && stat[end + 2] != 'Z';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
