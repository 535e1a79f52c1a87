namespace SandboxRt.IntegrationTests.Support;

/// <summary>What a deleted container must not leave on the host, looked up by its id.</summary>
internal static class HostLeaks
{
    /// <summary>
    /// Waits (bounded) until nothing of the container is left: no process mentioning it (QEMU's -name,
    /// virtiofsd's shared directory, a relay's arguments in its environment), no mount under its state
    /// directory, no state or socket directory.
    /// </summary>
    public static async Task AssertGoneAsync(string id, string runtimeRoot, TimeSpan? within = null)
    {
        var state = Path.Combine(runtimeRoot, id);
        var sockets = SandboxRt.Runtime.Storage.SocketDirectory.For(state);
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var processes = Processes(id, sockets);
            var mounts = File.ReadAllLines("/proc/self/mountinfo").Where(l => l.Contains(state)).ToList();
            bool directoriesGone = !Directory.Exists(state) && !Directory.Exists(sockets);
            if (processes.Count == 0 && mounts.Count == 0 && directoriesGone)
                return;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"container {id} left behind: processes [{string.Join(" | ", processes)}], mounts [{string.Join("; ", mounts)}], " +
                            $"state directory {(Directory.Exists(state) ? "present" : "gone")}, socket directory {(Directory.Exists(sockets) ? "present" : "gone")}");
            await Task.Delay(200);
        }
    }

    /// <summary>
    /// For fixtures that tear down a daemon: SIGKILL every process whose command line or relay arguments
    /// name a path under <paramref name="directory"/> (VMs, virtiofsd, relays a failed test left), then
    /// lazily unmount everything under it.
    /// </summary>
    public static void KillEverythingUnder(string directory)
    {
        foreach (var proc in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(proc), out int pid) || pid == Environment.ProcessId)
                continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(proc, "cmdline")).Replace('\0', ' ');
                var environ = File.ReadAllText(Path.Combine(proc, "environ"));
                if (cmdline.Contains(directory) || environ.Contains("SANDBOXRT_RELAY_ARGS") && environ.Contains(directory))
                    SandboxRt.Interop.ChildProcesses.Signal(pid, 9);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        Thread.Sleep(500);
        foreach (var mount in File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4]).Where(m => m.StartsWith(directory)).OrderByDescending(m => m.Length))
            SandboxRt.Interop.FileSystem.TryUnmount(mount, detach: true);
    }

    private static List<string> Processes(string id, string sockets)
    {
        var found = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid) || pid == Environment.ProcessId)
                continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                var environ = File.ReadAllText(Path.Combine(dir, "environ"));
                // QEMU by its -name, virtiofsd by the directory it serves (it gets its socket as a descriptor)
                if (cmdline.Contains("sandboxrt-" + id) || cmdline.Contains(sockets) || cmdline.Contains($"/{id}/shared")
                    || environ.Contains(id) && environ.Contains("SANDBOXRT_RELAY_ARGS"))
                    found.Add($"{pid}: {cmdline}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return found;
    }
}
