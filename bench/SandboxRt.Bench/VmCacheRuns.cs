using System.Text.Json.Nodes;

namespace SandboxRt.Bench;

/// <summary>
/// `ctr run --rm` through the shim v2 with vm_cache_number=1 (the shipped qemu.json with that one change):
/// each timed run takes the cache's warm VM, and the next waits until the entry its start spawned is
/// ready, so that no run pays for, or competes with, an entry's warm-up (which is the cache's cost: the
/// CPU it takes in the background, not measured here).
/// </summary>
internal sealed class VmCacheRuns(ClientDaemons daemons, string sandboxrt)
{
    private const string CacheRoot = "/run/sandboxrt/shim/vm-cache";
    private readonly string _config = Path.Combine(Path.GetTempPath(), $"sandboxrt-bench-vm-cache-{Environment.ProcessId}.json");
    private HashSet<string> _before = [];

    /// <summary>Writes the configuration and makes the first entry (an untimed run's start spawns it).</summary>
    public async Task StartAsync(string id)
    {
        var shipped = Path.Combine(Path.GetDirectoryName(sandboxrt)!, "hypervisor-configs", "qemu.json");
        File.WriteAllText(_config, File.ReadAllText(shipped).Replace("\"vm_cache_number\": 0", "\"vm_cache_number\": 1"));
        _before = Entries().ToHashSet();
        await Shell.RunAsync("ctr", Run(id));
        await WaitReadyAsync();
    }

    public async Task TimeAsync(Sample sample, string id)
    {
        await WaitReadyAsync();
        await Shell.TimeAsync(sample, "ctr", Run(id));
    }

    /// <summary>Ends the entries this bench made (SIGTERM: each stops its VM and removes its directory).</summary>
    public async Task StopAsync()
    {
        foreach (var entry in Entries().Where(e => !_before.Contains(e)))
        {
            var pid = Recorded(entry, "daemon");
            if (pid > 0)
                await Shell.RunAsync("kill", ["-TERM", pid.ToString()]);
        }
        for (int i = 0; i < 600 && Entries().Any(e => !_before.Contains(e)); i++)
            await Task.Delay(100);
        File.Delete(_config);
        // the cache's key directories this configuration made (each holds only its lock file now)
        foreach (var key in Directory.Exists(CacheRoot) ? Directory.EnumerateDirectories(CacheRoot).ToList() : [])
            if (!Directory.EnumerateDirectories(key).Any() && !_before.Any(e => e.StartsWith(key + "/", StringComparison.Ordinal)))
                Directory.Delete(key, recursive: true);
        if (Directory.Exists(CacheRoot) && !Directory.EnumerateFileSystemEntries(CacheRoot).Any())
            Directory.Delete(CacheRoot);
    }

    private string[] Run(string id) =>
        ["-a", daemons.ContainerdSocket, "run", "--rm", "--runtime", "io.containerd.sandboxrt.v2", "--runtime-config-path", _config, ClientDaemons.Image, id, "/bin/true"];

    private async Task WaitReadyAsync()
    {
        for (int i = 0; i < 1200; i++)
        {
            if (Entries().Any(e => !_before.Contains(e) && File.Exists(Path.Combine(e, "claim.sock"))))
                return;
            await Task.Delay(100);
        }
        throw new TimeoutException("no VM cache entry became ready within 120 s");
    }

    private static IEnumerable<string> Entries() =>
        Directory.Exists(CacheRoot) ? Directory.EnumerateDirectories(CacheRoot).SelectMany(Directory.EnumerateDirectories) : [];

    private static int Recorded(string entry, string field)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(Path.Combine(entry, "entry.json")))?[field]?["pid"]?.GetValue<int>() ?? 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
