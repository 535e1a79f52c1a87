// The agent's containers: creation through an init process, the lifecycle verbs, exec, signals and exits.
//
// Create: validate the spec → pipes or terminal → socket pair → InitSpawner (namespaces, spawn) →
// watch the pid with the reaper → cgroup (resources, devices, the pid) → send the init its plan
// (sandboxrt-init; then the hooks' state when it has hooks) → wait for Ready
// (or Error, which kills and removes everything made so far). Start: send Start and wait for the init
// socket to close (exec succeeded) or an Error (exec failed: ENOENT, EACCES). Exits come from the
// reaper; each one is recorded, OOM kills are attributed from memory.events, and an event is published.
using SandboxRt.Agent.Boot;
using SandboxRt.Agent.Init;
using SandboxRt.Agent.Init.Native;
using SandboxRt.Interop;
using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;

namespace SandboxRt.Agent.Containers;

internal sealed class ContainerManager(ChildReaper reaper, EventBus events)
{
    private static readonly TimeSpan InitTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Warnings from one init logged at most (one per capability is the most our init sends).</summary>
    private const int MaxInitWarnings = 64;
    private readonly Dictionary<string, Container> _containers = new(StringComparer.Ordinal);

    public EventBus Events => events;

    public Container Get(string id)
    {
        lock (_containers)
            return _containers.TryGetValue(id, out var c) ? c : throw new KeyNotFoundException($"container {id} does not exist");
    }

    public IReadOnlyList<Container> All
    {
        get
        {
            lock (_containers)
                return _containers.Values.ToList();
        }
    }

    public async Task<Container> CreateAsync(string id, Spec spec, bool stdin)
    {
        ContainerId.Validate(id, "container_id");
        SpecValidator.Validate(spec);
        lock (_containers)
        {
            if (_containers.ContainsKey(id))
                throw new ArgumentException($"container {id} already exists");
        }
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var process = spec.Process!;
        var plan = NamespacePlan.From(spec);
        var io = process.Terminal ? ProcessIo.CreateTerminal(id) : ProcessIo.CreatePipes(id, stdin);
        var (parentEnd, childEnd) = FdPassingSocket.CreatePair();
        var channel = new InitChannel(parentEnd);
        ContainerCgroup? cgroup = null;
        int pid = 0;
        try
        {
            cgroup = ContainerCgroup.Create(id, spec.Linux?.Resources);
            var initPlan = NativePlan(() => CreateInitPlan.Build(spec, cgroup.Path, plan.NewNetwork, plan.NewCgroup, SeccompStep.Compile(spec.Linux?.Seccomp)));
            try
            {
                pid = InitSpawner.Spawn(plan.Join, plan.UnshareFlags, io.ChildStdio, childEnd, mountNamespace: null, NativeInit.Path);
            }
            finally
            {
                childEnd.Dispose();
                io.ReleaseChildStdio();
            }
            var exited = reaper.WatchAsync(pid);
            cgroup.AddProcess(pid);
            await HandshakeAsync(channel, initPlan, initPlan.NeedsHookState ? HookStateJson(id, pid, spec) : null, io);
            var init = new ContainerProcess("", pid, io, exited);
            var container = new Container(id, spec, cgroup, init, channel);
            lock (_containers)
                _containers[id] = container;
            _ = ObserveExitAsync(container, init);
            _ = ObserveOomAsync(container);
            AgentLog.Info($"container {id}: created in {watch.Elapsed.TotalMilliseconds:F0} ms (init pid {pid})");
            return container;
        }
        catch
        {
            if (pid > 0)
                ChildProcesses.Signal(pid, 9);
            channel.Dispose();
            io.Dispose();
            if (cgroup is not null)
                await cgroup.DestroyAsync();
            throw;
        }
    }

    public async Task StartAsync(string id)
    {
        var c = Get(id);
        await c.Lock.WaitAsync();
        try
        {
            ContainerStateCheck.Require("start", id, c.Status, ContainerStatus.Created);
            using var channel = c.InitChannel
                ?? throw new InvalidOperationException($"container {id}: its start has already failed (remove it)");
            c.InitChannel = null;
            await FinishAsync(channel, c.Init, $"container {id}");
            c.Status = ContainerStatus.Running;
            AgentLog.Trace($"container {id}: started");
        }
        finally
        {
            c.Lock.Release();
        }
    }

    public async Task<ContainerProcess> ExecAsync(string id, string execId, Process process, bool stdin)
    {
        var c = Get(id);
        try
        {
            return await ExecInAsync(c, execId, process, stdin);
        }
        catch
        {
            c.ExecFailed(execId);
            throw;
        }
    }

    /// <summary>An exec that failed before it reached <see cref="ExecAsync"/> (its request did not parse): calls parked on it are NotFound.</summary>
    public void ExecFailed(string id, string execId)
    {
        Container? c;
        lock (_containers)
            _containers.TryGetValue(id, out c);
        c?.ExecFailed(execId);
    }

    private async Task<ContainerProcess> ExecInAsync(Container c, string execId, Process process, bool stdin)
    {
        var id = c.Id;
        ContainerId.Validate(execId, "exec_id");
        if (process.Args is not { Count: > 0 })
            throw new ArgumentException("process.args: must name the program to run");
        ContainerStateCheck.Require("exec in", id, c.Status, ContainerStatus.Running);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var plan = NativePlan(() => ExecInitPlan.Build(process, c.Seccomp.Value));
        var io = process.Terminal ? ProcessIo.CreateTerminal($"{id}/{execId}") : ProcessIo.CreatePipes($"{id}/{execId}", stdin);
        var (parentEnd, childEnd) = FdPassingSocket.CreatePair();
        using var channel = new InitChannel(parentEnd);
        int pid = 0;
        try
        {
            var initNs = $"/proc/{c.Init.Pid}/ns/";
            var join = new List<(string, string)>();
            foreach (var type in NamespaceTypes.JoinOrder)
            {
                if (type is NamespaceTypes.Mount or NamespaceTypes.User or NamespaceTypes.Time)
                    continue;
                var name = NamespaceTypes.ProcName(type);
                if (Namespaces.Identity(initNs + name) != Namespaces.Identity("/proc/self/ns/" + name))
                    join.Add((type, initNs + name));
            }
            using (var mnt = FileDescriptors.Open(initNs + "mnt", FileDescriptors.ReadOnly))
            {
                try
                {
                    pid = InitSpawner.Spawn(join, 0, io.ChildStdio, childEnd, mnt, NativeInit.Path);
                }
                finally
                {
                    childEnd.Dispose();
                    io.ReleaseChildStdio();
                }
            }
            var spawned = watch.Elapsed;
            var exited = reaper.WatchAsync(pid);
            c.Cgroup.AddProcess(pid);
            await RunToExecAsync(channel, plan, io, $"container {id}/{execId}");
            var p = new ContainerProcess(execId, pid, io, exited);
            c.AddExec(p);
            _ = ObserveExitAsync(c, p);
            AgentLog.Info($"container {id}/{execId}: started in {watch.Elapsed.TotalMilliseconds:F0} ms (pid {pid}; spawned after {spawned.TotalMilliseconds:F0} ms, then its init ran to execve)");
            return p;
        }
        catch
        {
            if (pid > 0)
                ChildProcesses.Signal(pid, 9);
            io.Dispose();
            throw;
        }
    }

    public void Signal(string id, string execId, int signal, bool all)
    {
        var c = Get(id);
        if (all)
        {
            c.Cgroup.SignalAll(signal);
            return;
        }
        var p = c.Process(execId);
        if (p.HasExited)
            throw new ProcessExitedException($"process {(execId.Length == 0 ? "init" : execId)} of container {id} has already exited");
        ChildProcesses.Signal(p.Pid, signal);
    }

    public async Task PauseAsync(string id, bool pause)
    {
        var c = Get(id);
        await c.Lock.WaitAsync();
        try
        {
            if (pause)
            {
                ContainerStateCheck.Require("pause", id, c.Status, ContainerStatus.Running);
                await c.Cgroup.FreezeAsync(true);
                c.Status = ContainerStatus.Paused;
            }
            else
            {
                ContainerStateCheck.Require("resume", id, c.Status, ContainerStatus.Paused);
                await c.Cgroup.FreezeAsync(false);
                c.Status = ContainerStatus.Running;
            }
        }
        finally
        {
            c.Lock.Release();
        }
    }

    public async Task RemoveAsync(string id, bool force)
    {
        var c = Get(id);
        await c.Lock.WaitAsync();
        try
        {
            if (c.Status is ContainerStatus.Running or ContainerStatus.Paused && !force)
                throw new InvalidOperationException($"cannot remove container {id} in {c.Status.ToString().ToLowerInvariant()} state (stop it, or force)");
            if (c.Status == ContainerStatus.Paused)
                await c.Cgroup.FreezeAsync(false);
            if (!c.Init.HasExited)
            {
                c.Cgroup.SignalAll(9);
                ChildProcesses.Signal(c.Init.Pid, 9);
                await Task.WhenAny(c.Init.Exited, Task.Delay(TimeSpan.FromSeconds(10)));
            }
            c.InitChannel?.Dispose();
            await c.Cgroup.DestroyAsync();
            c.Init.Io.Dispose();
            foreach (var e in c.Execs)
                e.Io.Dispose();
            c.Status = ContainerStatus.Stopped;
            lock (_containers)
                _containers.Remove(id);
            AgentLog.Info($"container {id}: removed");
        }
        finally
        {
            c.Lock.Release();
        }
    }

    /// <summary>Sends Config, then collects the pty master (with a terminal) and Ready, or fails with init's error.</summary>
    /// <summary>
    /// sandboxrt-init's plan for a process, built before anything is spawned: a spec it would refuse
    /// (an unknown capability or rlimit, a bad seccomp profile) fails here, naming the field.
    /// </summary>
    private static InitPlan NativePlan(Func<InitPlan> build)
    {
        try
        {
            return build();
        }
        catch (InitStepException e)
        {
            throw new InitFailedException(e.Step, e.Message, null);
        }
    }

    /// <summary>
    /// Sends a new container's plan (and its hooks' state), then collects the pty master (with a terminal)
    /// and Ready, or fails with init's error.
    /// </summary>
    private static async Task HandshakeAsync(InitChannel channel, InitPlan plan, string? hookState, ProcessIo io)
    {
        channel.SendPlan(plan);
        if (hookState is not null)
            channel.SendRaw(System.Text.Encoding.UTF8.GetBytes(hookState));
        await WithinInitTimeout(Task.Run(() =>
        {
            while (true)
            {
                var message = channel.Receive(out var attached)
                    ?? throw new InitFailedException("init", "the init process exited before the container was built", null);
                switch (message.Type)
                {
                    case InitMessage.PtyMasterType when attached is not null:
                        io.AttachTerminal(attached);
                        continue;
                    case InitMessage.ReadyType:
                        attached?.Dispose();
                        return;
                    case InitMessage.ErrorType:
                        attached?.Dispose();
                        throw new InitFailedException(message.Step ?? "init", message.Error ?? "unknown error", message.Errno);
                    default:
                        attached?.Dispose();
                        throw new InitFailedException("init", $"unexpected message '{message.Type}'", null);
                }
            }
        }), "init");
    }

    /// <summary>A step of the init handshake, bounded: an init that does not answer fails the step with an error that says so.</summary>
    private static async Task WithinInitTimeout(Task step, string name)
    {
        try
        {
            await step.WaitAsync(InitTimeout);
        }
        catch (TimeoutException)
        {
            throw new InitFailedException(name, $"the container's init process did not answer within {InitTimeout.TotalSeconds:F0} s", null);
        }
    }

    private static async Task<T> WithinInitTimeout<T>(Task<T> step, string name)
    {
        await WithinInitTimeout((Task)step, name);
        return await step;
    }

    /// <summary>Sends Start and waits for exec: end of stream is success, an Error message is failure.</summary>
    /// <summary>
    /// An exec's sandboxrt-init runs its plan straight to execve: one pass that takes a terminal's master,
    /// logs warnings, and ends at end-of-stream (the execve closed the socket: started) or an error.
    /// </summary>
    private static async Task RunToExecAsync(InitChannel channel, InitPlan plan, ProcessIo io, string what)
    {
        channel.SendPlan(plan);
        await WithinInitTimeout(Task.Run(() =>
        {
            for (int warnings = 0; ;)
            {
                var message = channel.Receive(out var attached);
                if (message is null)
                    return;
                if (message.Type == InitMessage.PtyMasterType && attached is not null)
                {
                    io.AttachTerminal(attached);
                    continue;
                }
                attached?.Dispose();
                switch (message.Type)
                {
                    case InitMessage.WarningType:
                        if (warnings++ < MaxInitWarnings)
                            AgentLog.Warn($"{what}: {message.Error}");
                        continue;
                    case InitMessage.ErrorType:
                        throw new InitFailedException(message.Step ?? "exec", message.Error ?? "unknown error", message.Errno);
                    default:
                        throw new InitFailedException("init", $"unexpected message '{message.Type}'", null);
                }
            }
        }), "exec");
    }

    private static async Task FinishAsync(InitChannel channel, ContainerProcess process, string what)
    {
        channel.Send(new InitMessage { Type = InitMessage.StartType });
        var reply = await WithinInitTimeout(Task.Run(() => channel.Receive()), "start");
        for (int warnings = 0; reply?.Type == InitMessage.WarningType; warnings++)
        {
            if (warnings < MaxInitWarnings)
                AgentLog.Warn($"{what}: {reply.Error}");
            reply = await WithinInitTimeout(Task.Run(() => channel.Receive()), "start");
        }
        if (reply?.Type == InitMessage.ErrorType)
        {
            await Task.WhenAny(process.Exited, Task.Delay(2000));
            throw new InitFailedException(reply.Step ?? "start", reply.Error ?? "unknown error", reply.Errno);
        }
    }

    private async Task ObserveExitAsync(Container c, ContainerProcess p)
    {
        var status = await p.Exited;
        // The kernel's OOM killer sends SIGKILL; memory.events says whether it did so in this cgroup.
        // Nothing here may throw: an exit that is not recorded leaves every Wait on it hanging.
        bool oomKilled = false;
        try
        {
            oomKilled = status.Signaled && status.TermSignal == 9 && c.Cgroup.OomKillCount > 0;
        }
        catch (Exception e)
        {
            AgentLog.Warn($"container {c.Id}: reading memory.events after pid {p.Pid} ended: {e.Message}");
        }
        // The container already reads as stopped (Container.Status: its init has exited).
        if (p.ExecId.Length == 0)
            _ = CloseInitChannelAsync(c);
        p.Record(status, oomKilled);
        AgentLog.Info($"container {c.Id}{(p.ExecId.Length > 0 ? "/" + p.ExecId : "")}: pid {p.Pid} {status}{(p.OomKilled ? " (OOM killed)" : "")}");
        events.Publish(new ContainerEvent(c.Id, p.ExecId, p.ExitedAt!.Value, ExitPid: p.Pid, ExitStatus: status.ShellStatus));
    }

    /// <summary>
    /// The init socket of a container whose init ended before Start took it, closed under the container's
    /// lock. Closed without it, a Start that had just sent its message and not yet read the answer found the
    /// descriptor disposed (ObjectDisposedException on SafeFdHandle, once in seven cold runs of /bin/true
    /// under make bench).
    /// </summary>
    private static async Task CloseInitChannelAsync(Container c)
    {
        await c.Lock.WaitAsync();
        try
        {
            c.InitChannel?.Dispose();
            c.InitChannel = null;
        }
        finally
        {
            c.Lock.Release();
        }
    }

    private async Task ObserveOomAsync(Container c)
    {
        await foreach (var _ in c.Cgroup.OomKillsAsync())
        {
            AgentLog.Warn($"container {c.Id}: OOM kill");
            events.Publish(new ContainerEvent(c.Id, "", DateTime.UtcNow, Oom: true));
        }
    }

    /// <summary>The state the in-container hooks read: the container as the guest sees it.</summary>
    private static string HookStateJson(string id, int pid, Spec spec) => System.Text.Json.JsonSerializer.Serialize(new State
    {
        Id = id,
        Status = "creating",
        Pid = pid,
        Bundle = spec.Root?.Path is { } root ? Path.GetDirectoryName(root) ?? "" : "",
        Annotations = spec.Annotations,
    }, OciJsonContext.Default.State);
}
