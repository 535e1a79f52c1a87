using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Channels;
using SandboxRt.Runtime.Relay;

namespace SandboxRt.Bench;

/// <summary>
/// Memory per pod and density: idle sandboxes (`sandboxrt create` + `start` of a sleeping container, one
/// VM each) are started one after another up to each checkpoint (1, 5, 10, 20), timing every start. At a
/// checkpoint the host PSS of every sandbox (its relay, QEMU and virtiofsd, from /proc/PID/smaps_rollup)
/// is read, and the first sandbox's guest is asked for its own view (MemTotal, MemAvailable, the agent's
/// RSS). Density is where the start time first doubles against the first sandbox's, and how many
/// sandboxes the host's available memory would hold at the measured PSS. The checkpoints come from
/// BENCH_DENSITY (default 1, 5, 10, 20); the run stops early when the host's MemAvailable falls below
/// <see cref="IdleRamp.MemoryFloorMib"/>, and every sandbox it started is deleted however it ends (an
/// exception, SIGINT or SIGTERM): the ramp is <see cref="IdleRamp"/>'s.
/// </summary>
internal sealed class DensityBenchmark(RuntimeCli sandboxrt, string bundle, IReadOnlyList<int> checkpoints)
{
    private readonly Dictionary<string, int> _relays = [];
    private readonly IdleRamp _ramp = new("density", "sandbox", "sandboxes", sandboxrt.DeleteAsync);

    public List<Sample> Samples { get; } = [];
    public List<string> Notes { get; } = [];

    public async Task RunAsync()
    {
        double availableBefore = HostMemory.AvailableKib();
        double lastPss = double.NaN;
        try
        {
            await _ramp.RunAsync(checkpoints, range => $"idle sandbox start (create + start), sandboxes {range}",
                k => $"bench-idle-{Environment.ProcessId}-{k:D3}", StartAsync,
                async n =>
                {
                    await Task.Delay(TimeSpan.FromSeconds(3)); // let the newest guests settle into idle
                    lastPss = Measure(n);
                    if (n == checkpoints[0])
                        await GuestViewAsync(_ramp.Ids[0]);
                }, Samples, Notes);
        }
        finally
        {
            Verdict(availableBefore, lastPss);
        }
    }

    private async Task<string?> StartAsync(string id)
    {
        var pidFile = Path.Combine(Path.GetTempPath(), $"{id}.pid");
        try
        {
            // the pid file names the relay (the container's host-side pid); its command line
            // is the container's, so it cannot be found by name
            await sandboxrt.StartAsync(bundle, id, pidFile);
            _relays[id] = int.Parse(File.ReadAllText(pidFile).Trim());
            File.Delete(pidFile);
            return null;
        }
        catch (InvalidOperationException e)
        {
            return e.Message;
        }
    }

    /// <summary>PSS per sandbox (relay + QEMU + virtiofsd) and of its QEMU, with <paramref name="n"/> running; returns the median per sandbox.</summary>
    private double Measure(int n)
    {
        var pss = new Sample($"host PSS per idle sandbox (relay + QEMU + virtiofsd), {n} running");
        var qemuPss = new Sample($"host PSS per idle sandbox's QEMU alone, {n} running");
        Samples.Add(pss);
        Samples.Add(qemuPss);
        foreach (var id in _ramp.Ids)
        {
            var vm = HostMemory.Processes($"sandboxrt-{id},").Concat(HostMemory.Processes($"/{id}/shared")).Distinct().ToList();
            if (vm.Count >= 2 && _relays.TryGetValue(id, out int relay) && File.Exists($"/proc/{relay}/smaps_rollup"))
            {
                var pids = vm.Append(relay).Distinct().ToList();
                pss.Add(pids.Sum(HostMemory.ProportionalSetKib) / 1024);
                qemuPss.Add(HostMemory.Processes($"sandboxrt-{id},").Sum(HostMemory.ProportionalSetKib) / 1024);
            }
            else
                pss.Fail();
        }
        Console.Error.WriteLine($"  {n} running: PSS per sandbox {pss.Median:F0} MiB (min {pss.Min:F0}, max {pss.Max:F0}), host MemAvailable {HostMemory.AvailableKib() / 1024:F0} MiB");
        return pss.Median;
    }

    private async Task GuestViewAsync(string id)
    {
        var socket = AgentEndpoints.ProxySocket(Path.Combine(RuntimeCli.StateRoot, id));
        using var agent = new AgentClient(new UnixSocketConnector(socket));
        var details = await agent.GuestDetailsAsync();
        foreach (var (name, bytes) in new[] { ("guest MemTotal", details.MemoryTotalBytes), ("guest MemAvailable (idle, one container)", details.MemoryAvailableBytes), ("guest agent RSS", details.AgentRssBytes) })
        {
            var sample = new Sample(name);
            sample.Add(bytes / 1024.0 / 1024.0);
            Samples.Add(sample);
        }
    }

    private void Verdict(double availableKib, double pssMib)
    {
        var starts = _ramp.Starts;
        if (starts.Count == 0)
            return;
        // the first sandbox may have built the VM template (seconds): the second is the first ordinary start
        int reference = Math.Min(1, starts.Count - 1);
        double first = starts[reference];
        int doubled = starts.FindIndex(reference, s => s > 2 * first);
        Notes.Add(doubled < 0
            ? $"density: start time did not double up to {starts.Count} idle sandboxes (sandbox {reference + 1}: {first:F0} ms, last {starts[^1]:F0} ms, x{starts[^1] / first:F2})"
            : $"density: start time first doubled at sandbox {doubled + 1} ({starts[doubled]:F0} ms against {first:F0} ms for sandbox {reference + 1})");
        if (!double.IsNaN(pssMib) && pssMib > 0)
            Notes.Add($"density: host MemAvailable before the run was {availableKib / 1024:F0} MiB; at {pssMib:F0} MiB PSS per idle sandbox that holds about {availableKib / 1024 / pssMib:F0} sandboxes");
    }
}
