using System.Diagnostics;
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
/// <see cref="MemoryFloorMib"/>, and every sandbox it started is deleted however it ends (an exception,
/// SIGINT or SIGTERM).
/// </summary>
internal sealed class DensityBenchmark(RuntimeCli sandboxrt, string bundle, IReadOnlyList<int> checkpoints)
{
    private readonly List<string> _ids = [];
    private readonly Dictionary<string, int> _relays = [];
    private readonly List<double> _starts = [];

    public List<Sample> Samples { get; } = [];
    public List<string> Notes { get; } = [];

    /// <summary>No sandbox is started while the host has less than this available.</summary>
    private const double MemoryFloorMib = 2048;

    public async Task RunAsync()
    {
        double availableBefore = HostMemory.AvailableKib();
        double lastPss = double.NaN;
        int previous = 0;
        // Ctrl-C or a kill of the bench: delete the sandboxes before the process goes
        using var interrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, OnSignal);
        using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, OnSignal);
        try
        {
            foreach (int n in checkpoints)
            {
                var starts = new Sample($"idle sandbox start (create + start), sandboxes {(n - previous == 1 ? $"{n}" : $"{previous + 1}-{n}")}");
                Samples.Add(starts);
                for (int k = previous + 1; k <= n; k++)
                {
                    if (HostMemory.AvailableKib() / 1024 < MemoryFloorMib)
                    {
                        Notes.Add($"density: stopped before sandbox {k}: host MemAvailable {HostMemory.AvailableKib() / 1024:F0} MiB is below {MemoryFloorMib:F0} MiB");
                        return;
                    }
                    var id = $"bench-idle-{Environment.ProcessId}-{k:D3}";
                    _ids.Add(id);
                    var pidFile = Path.Combine(Path.GetTempPath(), $"{id}.pid");
                    var watch = Stopwatch.StartNew();
                    try
                    {
                        // the pid file names the relay (the container's host-side pid); its command line
                        // is the container's, so it cannot be found by name
                        await sandboxrt.StartAsync(bundle, id, pidFile);
                        _relays[id] = int.Parse(File.ReadAllText(pidFile).Trim());
                        File.Delete(pidFile);
                    }
                    catch (InvalidOperationException e)
                    {
                        starts.Fail();
                        Notes.Add($"density: sandbox {k} failed to start ({e.Message}); stopped there");
                        Console.Error.WriteLine($"  {e.Message}");
                        return;
                    }
                    starts.Add(watch.Elapsed.TotalMilliseconds);
                    _starts.Add(watch.Elapsed.TotalMilliseconds);
                    Console.Error.WriteLine($"  sandbox {k}: started in {starts.LastText} ms");
                }
                previous = n;
                await Task.Delay(TimeSpan.FromSeconds(3)); // let the newest guests settle into idle
                var pss = new Sample($"host PSS per idle sandbox (relay + QEMU + virtiofsd), {n} running");
                var qemuPss = new Sample($"host PSS per idle sandbox's QEMU alone, {n} running");
                Samples.Add(pss);
                Samples.Add(qemuPss);
                foreach (var id in _ids)
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
                lastPss = pss.Median;
                Console.Error.WriteLine($"  {n} running: PSS per sandbox {pss.Median:F0} MiB (min {pss.Min:F0}, max {pss.Max:F0}), host MemAvailable {HostMemory.AvailableKib() / 1024:F0} MiB");
                if (n == checkpoints[0])
                    await GuestViewAsync(_ids[0]);
            }
        }
        finally
        {
            await DeleteAllAsync();
            Verdict(availableBefore, lastPss);
        }
    }

    private readonly SemaphoreSlim _deleting = new(1, 1);

    /// <summary>Deletes every sandbox started so far (once: the signal handler and the run's own clean-up may race).</summary>
    private async Task DeleteAllAsync()
    {
        await _deleting.WaitAsync();
        try
        {
            foreach (var id in _ids.ToList())
            {
                await sandboxrt.DeleteAsync(id);
                _ids.Remove(id);
            }
        }
        finally
        {
            _deleting.Release();
        }
    }

    private void OnSignal(System.Runtime.InteropServices.PosixSignalContext context)
    {
        context.Cancel = true; // exit below, after the sandboxes are gone
        Console.Error.WriteLine($"density: {context.Signal}: deleting {_ids.Count} sandboxes");
        DeleteAllAsync().GetAwaiter().GetResult();
        Environment.Exit(130);
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
        if (_starts.Count == 0)
            return;
        // the first sandbox may have built the VM template (seconds): the second is the first ordinary start
        int reference = Math.Min(1, _starts.Count - 1);
        double first = _starts[reference];
        int doubled = _starts.FindIndex(reference, s => s > 2 * first);
        Notes.Add(doubled < 0
            ? $"density: start time did not double up to {_starts.Count} idle sandboxes (sandbox {reference + 1}: {first:F0} ms, last {_starts[^1]:F0} ms, x{_starts[^1] / first:F2})"
            : $"density: start time first doubled at sandbox {doubled + 1} ({_starts[doubled]:F0} ms against {first:F0} ms for sandbox {reference + 1})");
        if (!double.IsNaN(pssMib) && pssMib > 0)
            Notes.Add($"density: host MemAvailable before the run was {availableKib / 1024:F0} MiB; at {pssMib:F0} MiB PSS per idle sandbox that holds about {availableKib / 1024 / pssMib:F0} sandboxes");
    }
}
