using System.Runtime.CompilerServices;
using System.Threading.Channels;
using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Network;

namespace SandboxRt.UnitTests.Fakes;

/// <summary>
/// An <see cref="IAgent"/> for unit tests: records every call as "Method id/execId ..." in order, answers
/// from what the test scripted (stats, exits, interfaces, output), and fails any call the test names in
/// <see cref="Failures"/> with the exception given. Exits are released by <see cref="Exit"/> (or failed by
/// <see cref="FailWait"/>); events by <see cref="Publish"/>. A process's output is empty unless the test
/// scripted it with <see cref="Output"/>; what its stdin received is in <see cref="StdinOf"/>.
/// <see cref="WhenCalled"/> waits for a call to be made.
/// </summary>
internal sealed class FakeAgent : IAgent
{
    private readonly Dictionary<(string, string), TaskCompletionSource<ProcessExit>> _exits = new();
    private readonly Channel<AgentEvent> _events = Channel.CreateUnbounded<AgentEvent>();
    private readonly Dictionary<(string, string, bool), Channel<byte[]>> _output = new();
    private readonly Dictionary<(string, string), MemoryStream> _stdin = new();
    private int _nextPid = 100;
    private readonly List<(string Prefix, TaskCompletionSource Seen)> _watches = [];

    private readonly List<string> _calls = [];

    /// <summary>A copy of the calls so far: the pod's background tasks (exit watchers) keep recording while a test reads.</summary>
    public IReadOnlyList<string> Calls
    {
        get
        {
            lock (_calls)
                return _calls.ToArray();
        }
    }
    public Dictionary<string, Exception> Failures { get; } = new(StringComparer.Ordinal);
    public ContainerStats Stats { get; set; } = new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    public Func<PodInterface, PodInterface> InterfaceAnswer { get; set; } = wanted => wanted;
    public bool Disposed { get; private set; }

    /// <summary>The process each exec was asked to run, by (container id, exec id).</summary>
    public Dictionary<(string Id, string ExecId), Process> Execs { get; } = new();

    /// <summary>When set, CreateContainer waits for it (or for its cancellation) after recording the call.</summary>
    public TaskCompletionSource? HoldCreate { get; set; }

    public void Exit(string id, string execId, int status, bool oom = false) =>
        ExitSource(id, execId).TrySetResult(new ProcessExit(status, oom, DateTime.UtcNow));

    /// <summary>The wait for the process fails with <paramref name="error"/> (the connection to the agent went away under it).</summary>
    public void FailWait(string id, string execId, Exception error) => ExitSource(id, execId).TrySetException(error);

    /// <summary>Scripts a process's stdout or stderr: what the test writes is read, and completing the writer ends the stream.</summary>
    public ChannelWriter<byte[]> Output(string id, string execId, bool stderr)
    {
        lock (_output)
        {
            if (!_output.TryGetValue((id, execId, stderr), out var channel))
                _output[(id, execId, stderr)] = channel = Channel.CreateUnbounded<byte[]>();
            return channel.Writer;
        }
    }

    /// <summary>Everything written to a process's stdin so far.</summary>
    public byte[] StdinOf(string id, string execId)
    {
        lock (_stdin)
            return _stdin.TryGetValue((id, execId), out var data) ? data.ToArray() : [];
    }

    public void Publish(AgentEvent e) => _events.Writer.TryWrite(e);

    private TaskCompletionSource<ProcessExit> ExitSource(string id, string execId)
    {
        lock (_exits)
        {
            if (!_exits.TryGetValue((id, execId), out var source))
                _exits[(id, execId)] = source = new(TaskCreationOptions.RunContinuationsAsynchronously);
            return source;
        }
    }

    /// <summary>Completes once a call that starts with <paramref name="prefix"/> has been recorded (before or after this).</summary>
    public Task WhenCalled(string prefix)
    {
        lock (_calls)
        {
            if (_calls.Any(c => c.StartsWith(prefix, StringComparison.Ordinal)))
                return Task.CompletedTask;
            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _watches.Add((prefix, seen));
            return seen.Task;
        }
    }

    private void Record(string method, string detail = "")
    {
        lock (_calls)
        {
            var call = detail.Length == 0 ? method : method + " " + detail;
            _calls.Add(call);
            foreach (var watch in _watches.Where(w => call.StartsWith(w.Prefix, StringComparison.Ordinal)).ToList())
            {
                _watches.Remove(watch);
                watch.Seen.TrySetResult();
            }
        }
        if (Failures.TryGetValue(method, out var failure))
            throw failure;
    }

    public async Task<int> CreateContainerAsync(string id, Spec spec, bool stdin, CancellationToken cancellationToken = default)
    {
        Record("CreateContainer", id);
        if (HoldCreate is { } hold)
            await hold.Task.WaitAsync(cancellationToken);
        return Interlocked.Increment(ref _nextPid);
    }

    public Task StartContainerAsync(string id, CancellationToken cancellationToken = default) => Do("StartContainer", id);
    public Task RemoveContainerAsync(string id, bool force, CancellationToken cancellationToken = default) => Do("RemoveContainer", force ? id + " force" : id);
    public Task PauseContainerAsync(string id, CancellationToken cancellationToken = default) => Do("PauseContainer", id);
    public Task ResumeContainerAsync(string id, CancellationToken cancellationToken = default) => Do("ResumeContainer", id);
    public Task UpdateContainerAsync(string id, LinuxResources resources, CancellationToken cancellationToken = default) => Do("UpdateContainer", id);

    public Task<ContainerStats> StatsAsync(string id, CancellationToken cancellationToken = default)
    {
        Record("Stats", id);
        return Task.FromResult(Stats);
    }

    /// <summary>The stdin flag of each ExecAsync, in order.</summary>
    public List<bool> ExecStdin { get; } = [];

    public async Task<int> ExecAsync(string id, string execId, Process process, bool stdin, CancellationToken cancellationToken = default)
    {
        try
        {
            lock (ExecStdin)
                ExecStdin.Add(stdin);
            Record("Exec", $"{id}/{execId}");
            if (HoldExec is { } hold)
                await hold.Task.WaitAsync(cancellationToken);
        }
        catch
        {
            ExecStart(id, execId).TrySetResult(false);
            throw;
        }
        lock (Execs)
            Execs[(id, execId)] = process;
        ExecStart(id, execId).TrySetResult(true);
        return Interlocked.Increment(ref _nextPid);
    }

    public Task SignalAsync(string id, string execId, int signal, bool all, CancellationToken cancellationToken = default) => Do("Signal", $"{id}/{execId} {signal}");

    public async Task<ProcessExit> WaitAsync(string id, string execId, bool awaitStart = false, CancellationToken cancellationToken = default)
    {
        Record("Wait", $"{id}/{execId}{(awaitStart ? " await" : "")}");
        await AwaitStartAsync(id, execId, awaitStart, "WaitProcess", cancellationToken);
        return await ExitSource(id, execId).Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// False: the fake is an agent from before AwaitExecHeader, which answers a call marked to await its
    /// exec with NotFound when the exec has not been asked for yet.
    /// </summary>
    public bool AwaitsExecStart { get; set; } = true;

    /// <summary>When set, ExecProcess records its call, then waits for it before it answers (or fails, with <see cref="Failures"/>).</summary>
    public TaskCompletionSource? HoldExec { get; set; }

    private readonly Dictionary<(string, string), TaskCompletionSource<bool>> _execStarts = new();

    /// <summary>Completes with true when the exec started, false when it failed.</summary>
    private TaskCompletionSource<bool> ExecStart(string id, string execId)
    {
        lock (_execStarts)
        {
            if (!_execStarts.TryGetValue((id, execId), out var source))
                _execStarts[(id, execId)] = source = new(TaskCreationOptions.RunContinuationsAsynchronously);
            return source;
        }
    }

    /// <summary>What the agent does with a call marked to await its exec: wait for it (NotFound when it fails), or, as an old agent, answer NotFound unless it has started.</summary>
    private async Task AwaitStartAsync(string id, string execId, bool awaitStart, string method, CancellationToken cancellationToken)
    {
        if (!awaitStart)
            return;
        var start = ExecStart(id, execId).Task;
        bool started = AwaitsExecStart ? await start.WaitAsync(cancellationToken) : start.IsCompletedSuccessfully && start.Result;
        if (!started)
            throw new AgentException(AgentErrorKind.NotFound, method, $"container {id} has no process '{execId}'");
    }

    public Task<IReadOnlyList<GuestProcess>> ListProcessesAsync(string id, CancellationToken cancellationToken = default)
    {
        Record("ListProcesses", id);
        return Task.FromResult<IReadOnlyList<GuestProcess>>([]);
    }

    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadOutputAsync(string id, string execId, bool stderr, bool awaitStart = false, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Record("ReadOutput", $"{id}/{execId} {(stderr ? "stderr" : "stdout")}{(awaitStart ? " await" : "")}");
        await AwaitStartAsync(id, execId, awaitStart, stderr ? "ReadStderr" : "ReadStdout", cancellationToken);
        Channel<byte[]>? scripted;
        lock (_output)
            _output.TryGetValue((id, execId, stderr), out scripted);
        if (scripted is null)
            yield break;
        await foreach (var chunk in scripted.Reader.ReadAllAsync(cancellationToken))
            yield return chunk;
    }

    /// <summary>Records each write as "WriteStdin id/exec N" and, when asked to close at the end, completion as "CloseStdin id/exec".</summary>
    public IStdinStream OpenStdin(string id, string execId, bool closeAtEnd, bool awaitStart = false, CancellationToken cancellationToken = default)
    {
        Record("OpenStdin", $"{id}/{execId}");
        return new FakeStdinStream(this, id, execId, closeAtEnd);
    }

    internal Task WriteStdin(string id, string execId, ReadOnlyMemory<byte> data)
    {
        lock (_stdin)
        {
            if (!_stdin.TryGetValue((id, execId), out var received))
                _stdin[(id, execId)] = received = new MemoryStream();
            received.Write(data.Span);
        }
        return Do("WriteStdin", $"{id}/{execId} {data.Length}");
    }

    internal Task CloseStdin(string id, string execId) => Do("CloseStdin", $"{id}/{execId}");

    /// <summary>The forwarding ForwardDnsAsync hands out (a fresh <see cref="FakeDnsQueryChannel"/> unless the test set one).</summary>
    public FakeDnsQueryChannel DnsChannel { get; set; } = new();

    public Task<IDnsQueryChannel> ForwardDnsAsync(CancellationToken cancellationToken = default)
    {
        Record("ForwardDns");
        return Task.FromResult<IDnsQueryChannel>(DnsChannel);
    }

    /// <summary>Answers ForwardPortAsync: the channel for that port, or the failure to throw (the guest has nothing there unless the test says so).</summary>
    public Func<int, IPortChannel>? PortChannel { get; set; }

    public Task<IPortChannel> ForwardPortAsync(int port, CancellationToken cancellationToken = default)
    {
        Record("ForwardPort", port.ToString());
        return PortChannel is { } open
            ? Task.FromResult(open(port))
            : Task.FromException<IPortChannel>(new AgentException(AgentErrorKind.Unavailable, "ForwardPort", $"nothing accepts connections on port {port} in the guest"));
    }

    public Task ResizeAsync(string id, string execId, int rows, int columns, CancellationToken cancellationToken = default) => Do("Resize", $"{id}/{execId} {rows}x{columns}");

    public Task<bool> CheckAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        Record("Check");
        return Task.FromResult(true);
    }

    public Task<AgentVersionInfo> VersionAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        Record("Version");
        return Task.FromResult(new AgentVersionInfo("fake", "0"));
    }

    public Task<GuestDetails> GuestDetailsAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        Record("GuestDetails");
        throw new NotSupportedException("FakeAgent: script GuestDetails by subclassing if a test needs it");
    }

    public Task<(int Cpus, long MemoryMib)> OnlineCpuMemAsync(int cpus, int memoryMib, CancellationToken cancellationToken = default)
    {
        Record("OnlineCpuMem", $"{cpus} {memoryMib}");
        return Task.FromResult((cpus, (long)memoryMib));
    }

    public Task CreateSandboxAsync(string sandboxId, string hostname, IEnumerable<string> dns, string sharedDriver, string sharedTag, CancellationToken cancellationToken = default) =>
        Do("CreateSandbox", sandboxId);

    public Task DestroySandboxAsync(CancellationToken cancellationToken = default) => Do("DestroySandbox");

    public Task<PodInterface> UpdateInterfaceAsync(PodInterface wanted, CancellationToken cancellationToken = default)
    {
        Record("UpdateInterface", wanted.Name);
        return Task.FromResult(InterfaceAnswer(wanted));
    }

    public Task<IReadOnlyList<PodRoute>> UpdateRoutesAsync(IEnumerable<PodRoute> routes, CancellationToken cancellationToken = default)
    {
        var list = routes.ToList();
        Record("UpdateRoutes", list.Count.ToString());
        return Task.FromResult<IReadOnlyList<PodRoute>>(list);
    }

    public Task<IReadOnlyList<PodRoute>> RemoveRoutesAsync(IEnumerable<PodRoute> routes, CancellationToken cancellationToken = default)
    {
        var list = routes.ToList();
        Record("RemoveRoutes", list.Count.ToString());
        return Task.FromResult<IReadOnlyList<PodRoute>>([]);
    }

    public Task AddNeighboursAsync(IEnumerable<PodNeighbour> neighbours, CancellationToken cancellationToken = default) => Do("AddNeighbours", neighbours.Count().ToString());

    public Task<IReadOnlyList<PodInterface>> ListInterfacesAsync(CancellationToken cancellationToken = default)
    {
        Record("ListInterfaces");
        return Task.FromResult<IReadOnlyList<PodInterface>>([]);
    }

    public Task<IReadOnlyList<PodRoute>> ListRoutesAsync(CancellationToken cancellationToken = default)
    {
        Record("ListRoutes");
        return Task.FromResult<IReadOnlyList<PodRoute>>([]);
    }

    public IAsyncEnumerable<AgentEvent> EventsAsync(CancellationToken cancellationToken = default)
    {
        Record("Events");
        return _events.Reader.ReadAllAsync(cancellationToken);
    }

    public void Dispose() => Disposed = true;

    private Task Do(string method, string detail = "")
    {
        Record(method, detail);
        return Task.CompletedTask;
    }
}
