// The node's metrics, in the spirit of kata-monitor: one registry (prometheus-net) refreshed at each
// scrape from what the node already records, so the monitor keeps no state of its own beyond a journal
// offset and can be restarted at any time.
//   - sandboxes: every container record under the scanned roots whose relay or VMM is alive;
//   - guest cgroup statistics: asked of each running container's agent through its relay's proxy socket
//     (never the guest channel itself: it serves one client, the relay), bounded by a timeout so one
//     stuck guest cannot stall a scrape; a guest that does not answer counts as an error of phase "stats";
//   - pods under containerd-shim-sandboxrt-v2: the shim holds its pod's only agent connection, so each
//     shim answers for its pod on its stats socket (PodStatsSocket), found by scanning the shim root;
//     the shims are asked in parallel, each bounded by the same timeout. Their containers get the same
//     guest series (label sandbox = the container's id, as for a CLI container, whose id is its
//     sandbox's); the pod's host processes (qemu, virtiofsd, shim) are labelled with the pod's id, which
//     is its sandbox container's id;
//   - host cost: CPU and PSS of the VMM, virtiofsd and the relay from /proc, by recorded identity (a
//     reused pid is never measured);
//   - latencies and errors: the journal (MonitorJournal) the CLI, relays and shims append to.
// Series of sandboxes that went away are removed at the next scrape.
using Prometheus;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Channels;
using SandboxRt.Runtime.Relay;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Monitoring;

public sealed class NodeMetrics
{
    private readonly IReadOnlyList<StateStore> _stores;
    private readonly JournalReader _journal;
    private readonly SemaphoreSlim _collecting = new(1, 1);
    private readonly HashSet<string> _present = [];
    private readonly Gauge _sandboxes;
    private readonly Gauge _guestMemory, _guestMemoryLimit, _guestPids;
    private readonly Counter _guestCpu, _guestIoRead, _guestIoWrite, _guestOomKills;
    private readonly Counter _hostCpu;
    private readonly Gauge _hostPss;
    private readonly Histogram _boot, _create;
    private readonly Counter _errors;

    private readonly Func<string, string, ProcessIdentity, IAgent> _connect;
    private readonly string? _shimRoot;

    /// <param name="connect">How to reach a container's agent from its id, its relay's proxy socket and the relay (tests pass a fake).</param>
    /// <param name="shimRoot">Where the pods' shims keep their directories (PodStatsSocket.ShimRoot); null: no pods are asked.</param>
    public NodeMetrics(IReadOnlyList<string> roots, string journalPath, Func<string, string, ProcessIdentity, IAgent>? connect = null, string? shimRoot = null)
    {
        _shimRoot = shimRoot;
        _connect = connect ?? ((id, proxy, relay) => new AgentClient(new RelayProxyConnector(id, proxy, relay)));
        _stores = roots.Select(r => new StateStore(r)).ToList();
        _journal = new JournalReader(journalPath);
        var factory = Metrics.WithCustomRegistry(Registry);
        string[] sandbox = ["sandbox"];
        string[] process = ["sandbox", "process"];
        _sandboxes = factory.CreateGauge("sandboxrt_sandboxes", "Sandboxes (VMs) running on this node.");
        _guestCpu = factory.CreateCounter("sandboxrt_guest_cpu_seconds_total", "CPU time of the container's cgroup in the guest.", sandbox);
        _guestMemory = factory.CreateGauge("sandboxrt_guest_memory_usage_bytes", "Memory use of the container's cgroup in the guest.", sandbox);
        _guestMemoryLimit = factory.CreateGauge("sandboxrt_guest_memory_limit_bytes", "Memory limit of the container's cgroup in the guest (0: none).", sandbox);
        _guestPids = factory.CreateGauge("sandboxrt_guest_pids", "Processes in the container's cgroup in the guest.", sandbox);
        _guestIoRead = factory.CreateCounter("sandboxrt_guest_io_read_bytes_total", "Bytes read by the container in the guest.", sandbox);
        _guestIoWrite = factory.CreateCounter("sandboxrt_guest_io_write_bytes_total", "Bytes written by the container in the guest.", sandbox);
        _guestOomKills = factory.CreateCounter("sandboxrt_guest_oom_kills_total", "OOM kills in the container's cgroup in the guest.", sandbox);
        _hostCpu = factory.CreateCounter("sandboxrt_host_cpu_seconds_total", "CPU time of a host process serving the sandbox (qemu, virtiofsd, relay, shim).", process);
        _hostPss = factory.CreateGauge("sandboxrt_host_pss_bytes", "Proportional set size of a host process serving the sandbox (qemu, virtiofsd, relay, shim).", process);
        double[] buckets = Histogram.ExponentialBuckets(0.25, 2, 9); // 0.25 s .. 64 s
        _boot = factory.CreateHistogram("sandboxrt_boot_seconds", "Time from starting the VMM to a serving, authenticated agent.", new HistogramConfiguration { Buckets = buckets });
        _create = factory.CreateHistogram("sandboxrt_create_seconds", "Time to create a container (runc create, shim Create), VM boot included.", new HistogramConfiguration { Buckets = buckets });
        _errors = factory.CreateCounter("sandboxrt_errors_total", "Failures by phase (boot, create, stats).", ["phase"]);
        Registry.AddBeforeCollectCallback(CollectAsync);
    }

    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();

    /// <summary>The bound on one guest's (or one shim's) answer.</summary>
    internal TimeSpan StatsTimeout { get; init; } = TimeSpan.FromSeconds(5);

    private async Task CollectAsync(CancellationToken cancellationToken)
    {
        await _collecting.WaitAsync(cancellationToken);
        try
        {
            foreach (var line in _journal.ReadNew())
            {
                if (line.ErrorPhase is { } phase)
                    _errors.WithLabels(phase).Inc();
                else
                    (line.Kind == "boot" ? _boot : _create).Observe(line.Seconds);
            }
            var seen = new HashSet<string>();
            int sandboxes = 0;
            foreach (var store in _stores)
                foreach (var id in store.Ids())
                    if (await CollectSandboxAsync(store, id, cancellationToken))
                    {
                        seen.Add(id);
                        sandboxes++;
                    }
            if (_shimRoot is not null)
            {
                var reports = await Task.WhenAll(PodStatsSocket.Scan(_shimRoot).Select(s => AskShimAsync(s, cancellationToken)));
                foreach (var report in reports)
                    if (report is not null && CollectPod(report, seen))
                        sandboxes++;
            }
            foreach (var gone in _present.Except(seen).ToList())
                Forget(gone);
            _present.Clear();
            _present.UnionWith(seen);
            _sandboxes.Set(sandboxes);
        }
        finally
        {
            _collecting.Release();
        }
    }

    /// <summary>Updates one sandbox's series; false when it is not running (no live relay or VMM).</summary>
    private async Task<bool> CollectSandboxAsync(StateStore store, string id, CancellationToken cancellationToken)
    {
        ContainerRecord record;
        try
        {
            record = store.Load(id);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ContainerNotFoundException)
        {
            return false;
        }
        if (record.Relay is not { IsAlive: true } && record.Hypervisor is not { IsAlive: true })
            return false;
        SetHostCost(id, [("qemu", record.Hypervisor), ("virtiofsd", record.Virtiofsd), ("relay", record.Relay)]);
        var proxy = AgentEndpoints.ProxySocket(store.Directory(id));
        // a relay whose proxy socket is gone fails at once in RelayProxyConnector (RelayGoneException)
        if (record.Status is ContainerStatus.Created or ContainerStatus.Running or ContainerStatus.Paused && record.Relay is { IsAlive: true } relay)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(StatsTimeout);
            try
            {
                using var agent = _connect(id, proxy, relay);
                SetGuest(id, await agent.StatsAsync(id, timeout.Token));
            }
            catch (Exception e) when (e is AgentException or RelayGoneException or OperationCanceledException or IOException)
            {
                _errors.WithLabels("stats").Inc();
            }
        }
        return true;
    }

    /// <summary>One shim's report, or null (an error of phase "stats") when it does not answer within the timeout or says nonsense.</summary>
    private async Task<PodStatsReport?> AskShimAsync(string socketPath, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StatsTimeout);
        try
        {
            var report = await PodStatsSocket.AskAsync(socketPath, timeout.Token);
            if (ContainerId.IsValid(report.PodId) && report.Containers is not null && report.Containers.All(c => ContainerId.IsValid(c.Id) && c.Stats is not null) && report.Failures >= 0)
                return report;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidDataException)
        {
        }
        _errors.WithLabels("stats").Inc();
        return null;
    }

    /// <summary>Updates one pod's series from its shim's report; false when its VM is not running.</summary>
    private bool CollectPod(PodStatsReport report, HashSet<string> seen)
    {
        if (report.Failures > 0)
            _errors.WithLabels("stats").Inc(report.Failures);
        if (report.Hypervisor is not { IsAlive: true })
            return false;
        seen.Add(report.PodId);
        SetHostCost(report.PodId, [("qemu", report.Hypervisor), ("virtiofsd", report.Virtiofsd), ("shim", report.Shim)]);
        foreach (var container in report.Containers)
        {
            seen.Add(container.Id);
            SetGuest(container.Id, container.Stats);
        }
        return true;
    }

    private void SetGuest(string id, ContainerStats s)
    {
        _guestCpu.WithLabels(id).IncTo(s.CpuUsageUsec / 1e6);
        _guestMemory.WithLabels(id).Set(s.MemoryUsageBytes);
        _guestMemoryLimit.WithLabels(id).Set(s.MemoryLimitBytes);
        _guestPids.WithLabels(id).Set(s.PidsCurrent);
        _guestIoRead.WithLabels(id).IncTo(s.IoReadBytes);
        _guestIoWrite.WithLabels(id).IncTo(s.IoWriteBytes);
        _guestOomKills.WithLabels(id).IncTo(s.OomKills);
    }

    private void SetHostCost(string id, (string Name, ProcessIdentity? Identity)[] processes)
    {
        foreach (var (name, identity) in processes)
        {
            if (identity is not { IsAlive: true } || HostProcessCost.Read(identity.Pid) is not { } cost)
                continue;
            _hostCpu.WithLabels(id, name).IncTo(cost.CpuSeconds);
            _hostPss.WithLabels(id, name).Set(cost.PssBytes);
        }
    }

    private void Forget(string id)
    {
        foreach (var metric in new Collector<Gauge.Child>[] { _guestMemory, _guestMemoryLimit, _guestPids })
            metric.RemoveLabelled(id);
        foreach (var metric in new Collector<Counter.Child>[] { _guestCpu, _guestIoRead, _guestIoWrite, _guestOomKills })
            metric.RemoveLabelled(id);
        foreach (var name in new[] { "qemu", "virtiofsd", "relay", "shim" })
        {
            _hostCpu.RemoveLabelled(id, name);
            _hostPss.RemoveLabelled(id, name);
        }
    }
}
