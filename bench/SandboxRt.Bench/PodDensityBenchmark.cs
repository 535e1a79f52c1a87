namespace SandboxRt.Bench;

/// <summary>
/// Memory per pod the way Kubernetes and containerd run them: idle one-container pods started through the
/// shim v2 (`ctr run -d --runtime io.containerd.sandboxrt.v2 ... sleep`, one VM and one shim each) one
/// after another up to each checkpoint (BENCH_PODS, default 1, 20). At a checkpoint, after the newest
/// pods have settled, the host PSS of every pod (its shim daemon, QEMU and virtiofsd) is read, and the
/// host's MemAvailable against the run's start (from 10 pods on). Every pod it started is killed and deleted however the
/// run ends (an exception, SIGINT or SIGTERM).
/// </summary>
internal sealed class PodDensityBenchmark(ClientDaemons daemons, IReadOnlyList<int> checkpoints)
{
    private const string Runtime = "io.containerd.sandboxrt.v2";

    /// <summary>How long the newest pods idle before a checkpoint is read: the shim daemon gives back what its start made the GC commit once it has been quiet a while (IdleHeapTrim).</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(8);

    /// <summary>
    /// The host's MemAvailable drop per pod is reported from this many pods on: below it, what the sections
    /// before freed meanwhile (their VMs' memory goes as their processes end) outweighs it (at 1 pod it read
    /// -40 MiB in a full run).
    /// </summary>
    private const int MemAvailableFrom = 10;

    private readonly IdleRamp _ramp = new("pods", "pod", "pods", id => DeleteAsync(CtrArguments(daemons), id));

    public List<Sample> Samples { get; } = [];
    public List<string> Notes { get; } = [];

    private string[] Ctr => CtrArguments(daemons);

    /// <summary>ctr's arguments that name the bench's containerd.</summary>
    private static string[] CtrArguments(ClientDaemons daemons) => ["-a", daemons.ContainerdSocket];

    public async Task RunAsync()
    {
        double availableBefore = HostMemory.AvailableKib();
        await _ramp.RunAsync(checkpoints, range => $"idle pod start through the shim v2 (ctr run -d), pods {range}",
            k => $"pod-{Environment.ProcessId}-{k:D3}", StartAsync,
            async n =>
            {
                await Task.Delay(Settle);
                Measure(n, availableBefore);
            }, Samples, Notes);
    }

    private async Task<string?> StartAsync(string id)
    {
        var result = await Shell.RunAsync("ctr", [.. Ctr, "run", "-d", "--runtime", Runtime, ClientDaemons.Image, id, "sleep", "2147483647"]);
        return result.Exit == 0 ? null : result.Output.Trim();
    }

    /// <summary>PSS per pod (shim + QEMU + virtiofsd) and of its parts, and the host's MemAvailable taken per pod, with <paramref name="n"/> running.</summary>
    private void Measure(int n, double availableBefore)
    {
        var pod = new Sample($"host PSS per idle pod (shim + QEMU + virtiofsd), shim v2, {n} running");
        var qemu = new Sample($"host PSS per idle pod's QEMU alone, shim v2, {n} running");
        var shim = new Sample($"host PSS per idle pod's shim daemon, {n} running");
        Samples.AddRange([pod, qemu, shim]);
        foreach (var id in _ramp.Ids)
        {
            var shims = HostMemory.Processes($"-id {id} -socket").ToList();
            var vms = HostMemory.Processes($"sandboxrt-{id},").ToList();
            var fileServers = HostMemory.Processes($"/{id}/shared").ToList();
            if (shims.Count != 1 || vms.Count != 1 || fileServers.Count == 0)
            {
                pod.Fail();
                Console.Error.WriteLine($"  pod {id}: {shims.Count} shim(s), {vms.Count} QEMU, {fileServers.Count} virtiofsd: not measured");
                continue;
            }
            pod.Add(shims.Concat(vms).Concat(fileServers).Distinct().Sum(HostMemory.ProportionalSetKib) / 1024);
            qemu.Add(HostMemory.ProportionalSetKib(vms[0]) / 1024);
            shim.Add(HostMemory.ProportionalSetKib(shims[0]) / 1024);
        }
        double perPod = (availableBefore - HostMemory.AvailableKib()) / 1024 / n;
        if (n >= MemAvailableFrom)
        {
            var available = new Sample($"host MemAvailable taken per idle pod, shim v2, {n} running");
            available.Add(perPod);
            Samples.Add(available);
        }
        Console.Error.WriteLine($"  {n} pods: PSS per pod {pod.Median:F0} MiB (min {pod.Min:F0}, max {pod.Max:F0}; QEMU {qemu.Median:F0}, shim {shim.Median:F0}), " +
                                $"MemAvailable {perPod:F0} MiB per pod, host MemAvailable {HostMemory.AvailableKib() / 1024:F0} MiB");
    }

    /// <summary>Kills and deletes one pod (<paramref name="ctr"/>: <see cref="CtrArguments"/>).</summary>
    private static async Task DeleteAsync(string[] ctr, string id)
    {
        await Shell.RunAsync("ctr", [.. ctr, "task", "kill", "-s", "9", id]);
        // ctr task delete waits for the task's exit; --force covers a task the kill left running
        await Shell.RunAsync("ctr", [.. ctr, "task", "delete", "--force", id]);
        await Shell.RunAsync("ctr", [.. ctr, "container", "delete", id]);
    }
}
