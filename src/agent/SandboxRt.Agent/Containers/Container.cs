using SandboxRt.Agent.Init;
using SandboxRt.Oci.Spec;
using SandboxRt.Seccomp;

namespace SandboxRt.Agent.Containers;

/// <summary>One container in the guest: its spec, state, init process, exec'd processes and cgroup.</summary>
internal sealed class Container(string id, Spec spec, ContainerCgroup cgroup, ContainerProcess init, InitChannel initChannel)
{
    private readonly Dictionary<string, ContainerProcess> _execs = new(StringComparer.Ordinal);
    private readonly ExecStartWaiters _waiters = new();

    public string Id { get; } = id;
    public Spec Spec { get; } = spec;
    public ContainerCgroup Cgroup { get; } = cgroup;
    public ContainerProcess Init { get; } = init;
    private volatile ContainerStatus _status = ContainerStatus.Created;

    /// <summary>
    /// The lifecycle state. A container whose init has ended is stopped, whatever a verb set last: a Start
    /// or a resume that reads the state just before the exit cannot leave it running. It is stopped as soon
    /// as the reaper has the exit, before the exit is recorded for Wait (an exec right after a Wait must find
    /// it stopped).
    /// </summary>
    public ContainerStatus Status
    {
        get => Init.HasExited ? ContainerStatus.Stopped : _status;
        set => _status = value;
    }

    /// <summary>The spec's seccomp profile as BPF, compiled once for every exec (null without a profile).</summary>
    public Lazy<SeccompProgram?> Seccomp { get; } = new(() => SeccompStep.Compile(spec.Linux?.Seccomp));

    /// <summary>
    /// The init socket until Start has been answered (or init has ended). Only the holder of
    /// <see cref="Lock"/> reads, closes or replaces it: a Start in progress is still reading it.
    /// </summary>
    public InitChannel? InitChannel { get; set; } = initChannel;

    /// <summary>Serializes lifecycle verbs on this container.</summary>
    public SemaphoreSlim Lock { get; } = new(1, 1);

    public ContainerProcess Process(string execId)
    {
        if (execId.Length == 0)
            return Init;
        lock (_execs)
            return _execs.TryGetValue(execId, out var p) ? p : throw new KeyNotFoundException($"container {Id} has no process '{execId}'");
    }

    /// <summary>
    /// The process, or with <paramref name="awaitStart"/> (a pipelined exec's calls) the process once its
    /// exec has started: an exec that fails, or does not start within <see cref="ExecStartWaiters.Bound"/>,
    /// is NotFound (see <see cref="ExecStartWaiters"/>).
    /// </summary>
    public async Task<ContainerProcess> ProcessAsync(string execId, bool awaitStart, CancellationToken cancellationToken)
    {
        if (!awaitStart || execId.Length == 0)
            return Process(execId);
        Task<ContainerProcess?> parked;
        lock (_execs)
        {
            if (_execs.TryGetValue(execId, out var p))
                return p;
            parked = _waiters.Park(Id, execId);
        }
        ContainerProcess? started;
        try
        {
            started = await parked.WaitAsync(ExecStartWaiters.Bound, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new KeyNotFoundException($"container {Id} has no process '{execId}' (its exec did not start within {ExecStartWaiters.Bound.TotalSeconds:F0} s)");
        }
        return started ?? throw new KeyNotFoundException($"container {Id} has no process '{execId}' (its exec failed)");
    }

    public void AddExec(ContainerProcess process)
    {
        lock (_execs)
        {
            if (!_execs.TryAdd(process.ExecId, process))
                throw new ArgumentException($"container {Id} already has a process '{process.ExecId}'");
            _waiters.Started(process);
        }
    }

    /// <summary>An exec that will not start: calls parked on it, and later ones, are NotFound.</summary>
    public void ExecFailed(string execId)
    {
        lock (_execs)
        {
            if (!_execs.ContainsKey(execId))
                _waiters.Failed(execId);
        }
    }

    public IReadOnlyList<ContainerProcess> Execs
    {
        get
        {
            lock (_execs)
                return _execs.Values.ToList();
        }
    }
}
