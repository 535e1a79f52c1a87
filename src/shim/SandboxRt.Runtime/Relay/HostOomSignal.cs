using Microsoft.Extensions.Logging;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.HostCgroups;

namespace SandboxRt.Runtime.Relay;

/// <summary>
/// The relay's side of <see cref="HostOomReport"/>: the guest's OOM kills of its container, reported in
/// the relay's host memory cgroup, where containerd's runc shim (and so Docker's State.OOMKilled) sees
/// them. One report at a time; the guest's reports that arrive meanwhile fold into one more (the guest is
/// untrusted and can send thousands), at least <see cref="Spacing"/> after the last, and no more than
/// <see cref="MaxReports"/> per container: each is a real OOM kill on the host, with its kernel log lines,
/// and a guest must not be able to keep the host's OOM killer busy. Best effort: a report that cannot be made is logged, never fatal.
/// The cgroup is read from the sandbox's record, which `create` completed after this relay started.
/// </summary>
/// <param name="raise">Makes the report (the relay's memory cgroup, the relay's pid); <see cref="HostOomReport.ReportAsync"/> unless a test gives another.</param>
/// <param name="spacing">The least time between two reports; <see cref="Spacing"/> unless a test gives another.</param>
public sealed class HostOomSignal(string stateDirectory, ILogger? log = null, Func<string, int, Task<long>>? raise = null, TimeSpan? spacing = null) : IAsyncDisposable
{
    /// <summary>The least time between two reports (a hostile guest's flood becomes one per second).</summary>
    public static readonly TimeSpan Spacing = TimeSpan.FromSeconds(1);
    /// <summary>Reports per container at most; Docker's OOMKilled needs one.</summary>
    public const int MaxReports = 20;
    private readonly SemaphoreSlim _one = new(1, 1);
    private long _lastReport = long.MinValue;
    private bool _capWarned;
    private readonly Func<string, int, Task<long>> _raise = raise ?? HostOomReport.ReportAsync;
    private readonly TimeSpan _spacing = spacing ?? Spacing;
    private int _waiting;
    private bool _closed;

    /// <summary>Reports made so far.</summary>
    public int Reported { get; private set; }

    /// <summary>Reports the guest's OOM kills of container <paramref name="id"/> as they come, until cancelled.</summary>
    public async Task FollowAsync(IAgentEvents agent, string id, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var e in agent.EventsAsync(cancellationToken))
                if (e.Oom && e.ContainerId == id)
                    _ = ReportAsync();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            log?.LogDebug("container {Id}: the guest's OOM events are not followed any more: {Error}", id, e.Message);
        }
    }

    /// <summary>Reports one OOM kill, unless a report that has not started yet already covers it.</summary>
    public async Task ReportAsync()
    {
        if (Interlocked.Exchange(ref _waiting, 1) == 1)
            return;
        await _one.WaitAsync();
        try
        {
            // a rate limit, not a wait for an event: later reports fold into this one meanwhile (a timer
            // may fire a little early, hence the loop)
            while (_lastReport != long.MinValue && System.Diagnostics.Stopwatch.GetElapsedTime(_lastReport) is var since && since < _spacing)
                await Task.Delay(_spacing - since + TimeSpan.FromMilliseconds(1));
            Volatile.Write(ref _waiting, 0);
            await ReportLockedAsync();
        }
        finally
        {
            _one.Release();
        }
    }

    /// <summary>
    /// At the container's exit after an OOM kill: reports it unless one was reported already, before the
    /// relay's exit reports the container's; later reports (the guest's event of that same kill) are none.
    /// </summary>
    public async Task EnsureReportedAsync()
    {
        await _one.WaitAsync();
        try
        {
            if (Reported == 0)
                await ReportLockedAsync();
            _closed = true;
        }
        finally
        {
            _one.Release();
        }
    }

    private async Task ReportLockedAsync()
    {
        if (_closed)
            return;
        if (Reported >= MaxReports)
        {
            if (!_capWarned)
                log?.LogWarning("the guest reported more OOM kills; {Max} were reported on the host and no more will be", MaxReports);
            _capWarned = true;
            return;
        }
        try
        {
            if (HostCgroup.Load(stateDirectory)?.RelayDirectory is not { } directory)
            {
                log?.LogDebug("no OOM kill reported on the host: the relay has no memory cgroup of its own (no linux.cgroupsPath, or no v1 memory hierarchy)");
                return;
            }
            long kills;
            try
            {
                kills = await _raise(directory, Environment.ProcessId);
            }
            finally
            {
                // the spacing runs from the end of a report: from its start, a report delayed between the
                // stamp and the kill (a loaded host) left the next one less than the spacing after it
                _lastReport = System.Diagnostics.Stopwatch.GetTimestamp();
            }
            Reported++;
            log?.LogDebug("guest OOM kill reported in {Directory} (oom_kill {Kills})", directory, kills);
        }
        catch (Exception e)
        {
            log?.LogWarning("the guest's OOM kill could not be reported on the host: {Error}", e.Message);
        }
    }

    /// <summary>Waits for a report being made, and makes no more: the relay is leaving its cgroup as it found it.</summary>
    public async ValueTask DisposeAsync()
    {
        await _one.WaitAsync();
        _closed = true;
        _one.Release();
    }
}
