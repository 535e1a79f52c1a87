namespace SandboxRt.Bench;

/// <summary>
/// `docker run --rm ... /bin/true` (with `--network none` and on Docker's default bridge, with SandboxRt
/// with and without its VM cache) and
/// `ctr run --rm ... /bin/true`, each with runc and with SandboxRt
/// (for ctr both as containerd's runc shim's runc binary and as the shim v2), interleaved run by run;
/// then the memory (PSS) an idle one-container pod costs on the host under the shim v2, and of it the shim daemon's.
/// </summary>
internal sealed class ClientBenchmark(ClientDaemons daemons, string sandboxrt)
{
    public Sample DockerSandboxrt { get; } = new("docker run --rm /bin/true, sandboxrt");
    public Sample DockerRunc { get; } = new("docker run --rm /bin/true, runc");
    public Sample DockerBridgeSandboxrt { get; } = new("docker run --rm /bin/true, default bridge, sandboxrt");
    public Sample DockerBridgeRunc { get; } = new("docker run --rm /bin/true, default bridge, runc");
    public Sample DockerCached { get; } = new("docker run --rm /bin/true, sandboxrt with a VM cache (vm_cache_number=1)");
    public Sample DockerBridgeCached { get; } = new("docker run --rm /bin/true, default bridge, sandboxrt with a VM cache (vm_cache_number=1)");
    public Sample CtrSandboxrt { get; } = new("ctr run --rm /bin/true, sandboxrt");
    public Sample CtrRunc { get; } = new("ctr run --rm /bin/true, runc");
    public Sample CtrShimV2 { get; } = new("ctr run --rm /bin/true, containerd-shim-sandboxrt-v2");
    public Sample CtrShimV2Cached { get; } = new("ctr run --rm /bin/true, shim v2 with a VM cache (vm_cache_number=1)");
    public Sample PodPss { get; } = new("idle pod PSS on the host (shim + QEMU + virtiofsd), shim v2");
    public Sample ShimPss { get; } = new("shim daemon PSS, idle pod (target: at most 15 MiB)");

    public async Task RunAsync(int runs)
    {
        var bridged = new[] { "-H", "unix://" + daemons.DockerSocket, "run", "--rm" };
        string[] docker = [.. bridged, "--network", "none"];
        var cache = new VmCacheRuns(daemons, sandboxrt);
        await cache.StartAsync($"b{Environment.ProcessId}-cache");
        var dockerCache = new DockerVmCacheRuns(daemons);
        await dockerCache.StartAsync();
        for (int i = 0; i < runs; i++)
        {
            string id = $"b{Environment.ProcessId}-{i}";
            await Shell.TimeAsync(DockerRunc, "docker", [.. docker, ClientDaemons.Image, "/bin/true"]);
            await Shell.TimeAsync(DockerSandboxrt, "docker", [.. docker, "--runtime", "kata-runtime", ClientDaemons.Image, "/bin/true"]);
            await Shell.TimeAsync(DockerBridgeRunc, "docker", [.. bridged, ClientDaemons.Image, "/bin/true"]);
            await Shell.TimeAsync(DockerBridgeSandboxrt, "docker", [.. bridged, "--runtime", "kata-runtime", ClientDaemons.Image, "/bin/true"]);
            await dockerCache.TimeAsync(DockerCached, docker);
            await dockerCache.TimeAsync(DockerBridgeCached, bridged);
            await Shell.TimeAsync(CtrRunc, "ctr", "-a", daemons.ContainerdSocket, "run", "--rm", ClientDaemons.Image, id + "-r", "/bin/true");
            await Shell.TimeAsync(CtrSandboxrt, "ctr", "-a", daemons.ContainerdSocket, "run", "--rm", "--runc-binary", sandboxrt, ClientDaemons.Image, id + "-s", "/bin/true");
            await Shell.TimeAsync(CtrShimV2, "ctr", "-a", daemons.ContainerdSocket, "run", "--rm", "--runtime", "io.containerd.sandboxrt.v2", ClientDaemons.Image, id + "-v", "/bin/true");
            await cache.TimeAsync(CtrShimV2Cached, id + "-c");
            Console.Error.WriteLine($"  run {i + 1}/{runs}: docker runc {DockerRunc.LastText}, sandboxrt {DockerSandboxrt.LastText}, cached VM {DockerCached.LastText}; " +
                                    $"bridge: runc {DockerBridgeRunc.LastText}, sandboxrt {DockerBridgeSandboxrt.LastText}, cached VM {DockerBridgeCached.LastText}; " +
                                    $"ctr runc {CtrRunc.LastText}, sandboxrt {CtrSandboxrt.LastText}, shim v2 {CtrShimV2.LastText}, cached VM {CtrShimV2Cached.LastText} ms");
        }
        await cache.StopAsync();
        await dockerCache.StopAsync();
        for (int i = 0; i < Math.Min(runs, 3); i++)
            await MeasurePodAsync($"p{Environment.ProcessId}-{i}");
    }

    /// <summary>Starts an idle container under the shim v2, lets it settle, and sums the PSS of every host process the pod costs.</summary>
    private async Task MeasurePodAsync(string id)
    {
        var ctr = new[] { "-a", daemons.ContainerdSocket };
        if ((await Shell.RunAsync("ctr", [.. ctr, "run", "-d", "--runtime", "io.containerd.sandboxrt.v2", ClientDaemons.Image, id, "sleep", "3600"])).Exit != 0)
        {
            PodPss.Fail();
            ShimPss.Fail();
            return;
        }
        // settled: the daemon gives back what the start made its GC commit once it has been quiet a while (IdleHeapTrim)
        await Task.Delay(TimeSpan.FromSeconds(8));
        var shims = HostMemory.Processes($"-id {id} -socket").ToList();
        var pids = shims.Concat(HostMemory.Processes($"sandboxrt-{id},")).Concat(HostMemory.Processes($"/{id}/shared")).ToList();
        double kib = pids.Sum(HostMemory.ProportionalSetKib);
        Console.Error.WriteLine($"  pod {id}: {pids.Count} processes, PSS {kib / 1024:F1} MiB (shim daemon {string.Join(", ", shims.Select(p => $"{HostMemory.ProportionalSetKib(p) / 1024:F1}"))} MiB)");
        if (pids.Count >= 3)
            PodPss.Add(kib / 1024);
        else
            PodPss.Fail();
        if (shims.Count == 1)
            ShimPss.Add(HostMemory.ProportionalSetKib(shims[0]) / 1024);
        else
            ShimPss.Fail();
        await Shell.RunAsync("ctr", [.. ctr, "task", "kill", "-s", "9", id]);
        await Task.Delay(TimeSpan.FromSeconds(1));
        await Shell.RunAsync("ctr", [.. ctr, "task", "delete", "-f", id]);
        await Shell.RunAsync("ctr", [.. ctr, "container", "delete", id]);
    }
}
