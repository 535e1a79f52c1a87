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
        var killed = new List<SandboxRt.Interop.PidFd>();
        foreach (var proc in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(proc), out int pid) || pid == Environment.ProcessId)
                continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(proc, "cmdline")).Replace('\0', ' ');
                var environ = File.ReadAllText(Path.Combine(proc, "environ"));
                if ((cmdline.Contains(directory) || environ.Contains("SANDBOXRT_RELAY_ARGS") && environ.Contains(directory))
                    && SandboxRt.Interop.PidFd.TryOpen(pid) is { } process)
                {
                    if (process.Signal(9))
                        killed.Add(process);
                    else
                        process.Dispose();
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        // their mounts go once they have exited (a pidfd polls readable then; a zombie holds none); bounded: this is a teardown
        Task.WaitAll([.. killed.Select(p => p.WaitExitedAsync())], TimeSpan.FromSeconds(10));
        foreach (var process in killed)
            process.Dispose();
        foreach (var mount in File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4]).Where(m => m.StartsWith(directory)).OrderByDescending(m => m.Length))
            SandboxRt.Interop.FileSystem.TryUnmount(mount, detach: true);
    }
}
