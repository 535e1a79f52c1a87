namespace SandboxRt.Agent.Containers;

/// <summary>
/// Calls parked on an exec that is being created. A host that pipelines an exec (issue 16) sends
/// WaitProcess, ReadStdout, ReadStderr and StreamStdin together with ExecProcess, marked with
/// <see cref="Protocol.AgentMethods.AwaitExecHeader"/>; Kestrel hands the calls to their handlers in no
/// set order, so one of them can ask for the process before ExecProcess has made it. Such a call parks
/// here until the exec starts (it gets the process), fails (it gets null: NotFound), or
/// <see cref="Bound"/> passes without either. Everything is bounded: at most <see cref="MaxExecs"/> exec
/// ids are awaited at once per container (entries older than the bound are dropped when a new one
/// comes), and the last <see cref="MaxFailed"/> failed ids are remembered so that a call arriving after
/// its exec failed is answered at once instead of after the bound.
///
/// Not thread-safe: <see cref="Container"/> uses it under the lock of its exec table, so that an exec
/// is either found in the table or its waiters are completed by <see cref="Started"/>, never neither.
/// </summary>
internal sealed class ExecStartWaiters(Func<DateTime> clock)
{
    /// <summary>How long a call waits for its exec: longer than the agent's own bound on an exec's init (60 s).</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    public const int MaxExecs = 64;
    public const int MaxFailed = 64;

    private readonly Dictionary<string, (TaskCompletionSource<ContainerProcess?> Source, DateTime Since)> _awaited = new(StringComparer.Ordinal);
    private readonly Queue<string> _failedOrder = new();
    private readonly HashSet<string> _failed = new(StringComparer.Ordinal);

    public ExecStartWaiters() : this(() => DateTime.UtcNow)
    {
    }

    /// <summary>How many exec ids calls are parked on.</summary>
    public int Count => _awaited.Count;

    /// <summary>
    /// The task a call for <paramref name="execId"/> (not in the exec table) waits on: null as its result
    /// when the exec failed. Throws when the exec already failed or too many execs are awaited.
    /// </summary>
    public Task<ContainerProcess?> Park(string containerId, string execId)
    {
        if (_failed.Contains(execId))
            throw new KeyNotFoundException($"container {containerId} has no process '{execId}' (its exec failed)");
        var now = clock();
        foreach (var (id, stale) in _awaited.Where(e => now - e.Value.Since > Bound).ToList())
        {
            _awaited.Remove(id);
            stale.Source.TrySetResult(null);
        }
        if (_awaited.TryGetValue(execId, out var entry))
            return entry.Source.Task;
        if (_awaited.Count >= MaxExecs)
            throw new InvalidOperationException($"container {containerId}: {MaxExecs} execs are awaited already; not waiting for '{execId}'");
        var source = new TaskCompletionSource<ContainerProcess?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _awaited[execId] = (source, now);
        return source.Task;
    }

    /// <summary>The exec is in the table now: its parked calls go on with it.</summary>
    public void Started(ContainerProcess process)
    {
        if (_awaited.Remove(process.ExecId, out var entry))
            entry.Source.TrySetResult(process);
    }

    /// <summary>The exec failed (or never will start): its parked calls, and later ones, get NotFound.</summary>
    public void Failed(string execId)
    {
        if (_awaited.Remove(execId, out var entry))
            entry.Source.TrySetResult(null);
        if (!_failed.Add(execId))
            return;
        _failedOrder.Enqueue(execId);
        while (_failedOrder.Count > MaxFailed)
            _failed.Remove(_failedOrder.Dequeue());
    }
}
