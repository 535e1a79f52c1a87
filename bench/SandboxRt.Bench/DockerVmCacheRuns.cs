using System.Text.Json.Nodes;
using SandboxRt.Runtime.VmCache;

namespace SandboxRt.Bench;

/// <summary>
/// `docker run --rm` with SandboxRt's CLI VM cache (ClientDaemons.CachedRuntime: vm_cache_number=1): each
/// timed run takes the cache's warm VM, and waits first until the entry the previous create spawned is
/// ready, so that no run pays for, or competes with, an entry's warm-up (the cache's cost is that CPU in
/// the background, not measured here).
/// </summary>
internal sealed class DockerVmCacheRuns(ClientDaemons daemons)
{
    private HashSet<string> _before = [];

    /// <summary>Makes the first entry (an untimed run's create spawns it).</summary>
    public async Task StartAsync()
    {
        _before = Entries().ToHashSet();
        await Shell.RunAsync("docker", ["-H", "unix://" + daemons.DockerSocket, "run", "--rm", "--network", "none", "--runtime", ClientDaemons.CachedRuntime, ClientDaemons.Image, "/bin/true"]);
        await WaitReadyAsync();
    }

    /// <param name="arguments">docker's arguments up to the image (run --rm, the network).</param>
    public async Task TimeAsync(Sample sample, string[] arguments)
    {
        await WaitReadyAsync();
        await Shell.TimeAsync(sample, "docker", [.. arguments, "--runtime", ClientDaemons.CachedRuntime, ClientDaemons.Image, "/bin/true"]);
    }

    /// <summary>Ends the entries this bench made (SIGTERM: each stops its VM and removes its directory).</summary>
    public async Task StopAsync()
    {
        foreach (var entry in Entries().Where(e => !_before.Contains(e)))
            if (Field(entry, "relay")?["pid"]?.GetValue<int>() is int pid and > 0)
                await Shell.RunAsync("kill", ["-TERM", pid.ToString()]);
        for (int i = 0; i < 600 && Entries().Any(e => !_before.Contains(e)); i++)
            await Task.Delay(100);
    }

    private async Task WaitReadyAsync()
    {
        for (int i = 0; i < 1200; i++)
        {
            if (Entries().Any(e => !_before.Contains(e) && Field(e, "status")?.ToString() == "Created" && Field(e, "claimed_by") is null))
                return;
            await Task.Delay(100);
        }
        throw new TimeoutException("no VM cache entry became ready within 120 s");
    }

    private IEnumerable<string> Entries() =>
        Directory.Exists(daemons.DockerRuntimeRoot)
            ? Directory.EnumerateDirectories(daemons.DockerRuntimeRoot).Where(d => CliVmCache.IsEntryId(Path.GetFileName(d)))
            : [];

    private static JsonNode? Field(string entry, string name)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(Path.Combine(entry, "state.json")))?[name];
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
