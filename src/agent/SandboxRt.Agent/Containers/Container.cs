using SandboxRt.Agent.Init;
using SandboxRt.Oci.Spec;
using SandboxRt.Seccomp;

namespace SandboxRt.Agent.Containers;

/// <summary>One container in the guest: its spec, state, init process, exec'd processes and cgroup.</summary>
internal sealed class Container(string id, Spec spec, ContainerCgroup cgroup, ContainerProcess init, InitChannel initChannel)
{
    private readonly Dictionary<string, ContainerProcess> _execs = new(StringComparer.Ordinal);

    public string Id { get; } = id;
    public Spec Spec { get; } = spec;
    public ContainerCgroup Cgroup { get; } = cgroup;
    public ContainerProcess Init { get; } = init;
    public ContainerStatus Status { get; set; } = ContainerStatus.Created;

    /// <summary>The spec's seccomp profile as BPF, compiled once for every exec (null without a profile).</summary>
    public Lazy<SeccompProgram?> Seccomp { get; } = new(() => SeccompStep.Compile(spec.Linux?.Seccomp));

    /// <summary>The init socket until Start has been answered.</summary>
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

    public void AddExec(ContainerProcess process)
    {
        lock (_execs)
        {
            if (!_execs.TryAdd(process.ExecId, process))
                throw new ArgumentException($"container {Id} already has a process '{process.ExecId}'");
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
