namespace SandboxRt.Agent.Resources;

/// <summary>
/// CPUs and memory the host hot-plugged into the running VM (Kata's OnlineCPUMem). The kernel adds a
/// hot-plugged CPU present but offline (a distribution's udev rule would online it; there is no udev
/// here), and memory online by itself when the host booted it with memhp_default_state=online (a block
/// still offline is onlined here too). The ACPI event that adds a device arrives after the host's
/// device_add returned, so the host says what it expects and this waits, bounded, until that much is
/// online. Only sysfs is read and written.
/// </summary>
internal static class HotplugOnliner
{
    private const string CpuRoot = "/sys/devices/system/cpu";
    private const string MemoryRoot = "/sys/devices/system/memory";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Rescan = TimeSpan.FromMilliseconds(20);

    public static async Task<(int Cpus, long MemoryMib)> OnlineAsync(int cpus, long memoryMib, CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + Bound;
        for (;;)
        {
            OnlineCpus();
            OnlineMemory();
            var online = (Cpus: OnlineCpuCount(), MemoryMib: OnlineMemoryMib());
            if (online.Cpus >= cpus && online.MemoryMib >= memoryMib || DateTime.UtcNow > until)
                return online;
            await Task.Delay(Rescan, cancellationToken); // the next ACPI event: sysfs has no cheaper notification without a uevent socket
        }
    }

    private static void OnlineCpus()
    {
        foreach (var dir in Directory.EnumerateDirectories(CpuRoot, "cpu*"))
        {
            var online = Path.Combine(dir, "online"); // cpu0 has none: it cannot go offline
            if (!int.TryParse(Path.GetFileName(dir).AsSpan(3), out _) || !File.Exists(online) || File.ReadAllText(online).Trim() != "0")
                continue;
            TryWrite(online, "1");
        }
    }

    private static void OnlineMemory()
    {
        if (!Directory.Exists(MemoryRoot))
            return;
        foreach (var dir in Directory.EnumerateDirectories(MemoryRoot, "memory*"))
        {
            var state = Path.Combine(dir, "state");
            if (File.Exists(state) && File.ReadAllText(state).Trim() == "offline")
                TryWrite(state, "online");
        }
    }

    /// <summary>Counts the CPUs in /sys/devices/system/cpu/online ("0-1,3").</summary>
    public static int CountRanges(string list)
    {
        int count = 0;
        foreach (var range in list.Trim().Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var bounds = range.Split('-');
            count += bounds.Length == 2 ? int.Parse(bounds[1]) - int.Parse(bounds[0]) + 1 : 1;
        }
        return count;
    }

    private static int OnlineCpuCount() => CountRanges(File.ReadAllText(Path.Combine(CpuRoot, "online")));

    private static long OnlineMemoryMib()
    {
        if (!Directory.Exists(MemoryRoot))
            return 0;
        long blockBytes = Convert.ToInt64(File.ReadAllText(Path.Combine(MemoryRoot, "block_size_bytes")).Trim(), 16);
        long blocks = Directory.EnumerateDirectories(MemoryRoot, "memory*")
            .Count(dir => File.Exists(Path.Combine(dir, "state")) && File.ReadAllText(Path.Combine(dir, "state")).Trim() == "online");
        return blocks * blockBytes >> 20;
    }

    /// <summary>A device the kernel refuses to online (EBUSY, EINVAL) stays as it is and shows in the counts.</summary>
    private static void TryWrite(string path, string value)
    {
        try
        {
            File.WriteAllText(path, value);
        }
        catch (IOException e)
        {
            AgentLog.Warn($"hot-plug: {path} <- {value}: {e.Message}");
        }
    }
}
