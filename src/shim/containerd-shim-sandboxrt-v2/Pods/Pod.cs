// One pod: the VM that a shim owns, and the containers containerd creates in it.
//
// containerd starts one shim per pod and calls the Task API for every container of the pod on it. The
// first container (the CRI sandbox container, or the only container of a `ctr run`) boots the VM; the
// pod's app containers join it. Each container's init and each exec is a PodProcess watched by a task
// that waits on the agent (or on the VM's death) and then publishes the exit.
//
// Concurrency: lifecycle calls that change what exists (create, start, exec start, delete, shutdown)
// are serialized by a gate; they may block on the agent while holding it. Process state and event
// publication happen together under a lock, so containerd sees events in the order states change
// (create before start, exit before delete), and Wait returns only after the exit event was queued.
//
// The host pid containerd gets for every process is the hypervisor's: the processes themselves live in
// the guest (as with Kata). Guest pids are what Pids returns.
using Microsoft.Extensions.Logging;
using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Containers;
using SandboxRt.Runtime.Diagnostics;
using SandboxRt.Runtime.Relay;
using SandboxRt.Runtime.Sandboxes;
using SandboxRt.Runtime.State;
using SandboxRt.Shim.Io;

namespace SandboxRt.Shim.Pods;

internal sealed class Pod : IAsyncDisposable
{
    private readonly PodOptions _options;
    private readonly ITaskEventSink _events;
    private readonly Action<PodRecord> _save;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly object _sync = new();
    private readonly Dictionary<string, PodContainer> _containers = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _watchers = [];
    private Sandbox? _sandbox;
    private Task _agentEvents = Task.CompletedTask;

    public Pod(PodOptions options, ITaskEventSink events, Action<PodRecord> save, ILogger log)
    {
        _options = options;
        _events = events;
        _save = save;
        _log = log;
        Record = new PodRecord { PodId = options.Id, Shim = ProcessIdentity.Of(Environment.ProcessId) };
    }

    public string Id => _options.Id;
    public PodRecord Record { get; }

    /// <summary>The hypervisor's pid, or 0 before the VM runs.</summary>
    public int VmPid => _sandbox?.Vm.Pid ?? 0;

    public bool IsEmpty
    {
        get
        {
            lock (_sync)
                return _containers.Count == 0;
        }
    }

    /// <summary>Creates a container (booting the pod's VM for the first one) and returns its host pid.</summary>
    public async Task<int> CreateAsync(CreateTaskRequest request, CancellationToken cancellationToken)
    {
        ContainerId.Validate(request.Id);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            lock (_sync)
                if (_containers.ContainsKey(request.Id))
                    throw new TaskAlreadyExistsException($"container {request.Id}: already exists");
            return await CreateLockedAsync(request, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<int> CreateLockedAsync(CreateTaskRequest request, CancellationToken cancellationToken)
    {
        var spec = SpecLoader.LoadBundle(request.Bundle);
        bool app = CriAnnotations.IsAppContainer(spec.Annotations);
        if (app && _sandbox is null)
            throw new InvalidOperationException($"container {request.Id}: pod {Id} has no VM: its sandbox container must be created first");
        int? sandboxGuestPid;
        lock (_sync)
            sandboxGuestPid = app && _containers.TryGetValue(Id, out var sandboxContainer) ? sandboxContainer.GuestPid : null;
        PodNamespaces.TranslateForGuest(spec, sandboxGuestPid);
        if (_sandbox is null)
            BundleSpecRewriter.CheckHostOnlyFields(spec); // a bad network namespace path fails before any VM
        if (request.Io.Terminal != (spec.Process?.Terminal ?? false))
            throw new ArgumentException($"container {request.Id}: terminal={request.Io.Terminal} in the request but process.terminal={spec.Process?.Terminal ?? false} in config.json");

        bool mounted = false, startedVm = false, created = false;
        ProcessStdio? stdio = null;
        try
        {
            if (request.Rootfs.Count > 0)
            {
                RootfsMounter.Mount(request.Bundle, request.Rootfs);
                mounted = true;
                Record.MountedBundles[request.Id] = request.Bundle;
                _save(Record);
            }
            SpecValidator.Validate(spec, SpecLoader.RootfsPath(spec, request.Bundle));
            if (_sandbox is null)
            {
                // The pod's host cgroup is the one of the container that boots the VM (the CRI sandbox container's).
                await StartVmAsync(BundleSpecRewriter.NetworkNamespacePath(spec), SandboxRt.Runtime.HostCgroups.CgroupsPath.Resolve(spec.Linux?.CgroupsPath), cancellationToken);
                startedVm = true;
            }
            var sandbox = _sandbox!;
            var guestSpec = BundleSpecRewriter.ForGuest(spec, request.Bundle, request.Id, sandbox.Shared!);
            stdio = ProcessStdio.Open(sandbox.Agent, request.Id, "", request.Io, _log);
            int guestPid = await sandbox.Agent.CreateContainerAsync(request.Id, guestSpec, stdin: request.Io.Stdin.Length > 0, cancellationToken);
            created = true;
            stdio.StartOutput();
            var init = new PodProcess(request.Id, "", request.Io, null) { Pid = sandbox.Vm.Pid, Stdio = stdio };
            var container = new PodContainer(request.Id, request.Bundle, mounted, guestPid, init);
            lock (_sync)
            {
                _containers[request.Id] = container;
                _events.Publish(new TaskEvent(TaskEventKind.Create, request.Id) { Pid = init.Pid, Create = request });
            }
            Watch(container, init);
            _log.LogInformation("container {Id}: created in pod {Pod} (guest pid {GuestPid})", request.Id, Id, guestPid);
            return init.Pid;
        }
        catch (Exception e)
        {
            _log.LogError("container {Id}: create failed: {Error}", request.Id, e.Message);
            if (_sandbox is { } sandbox && e is AgentException)
                _log.LogError("guest console, last lines:\n{Console}", string.Join('\n', LogTail.Read(sandbox.Vm.ConsoleLogPath, 25)));
            if (stdio is not null)
                await stdio.DisposeAsync();
            if (created)
                await Quietly(() => _sandbox!.Agent.RemoveContainerAsync(request.Id, force: true, CancellationToken.None), "remove the failed container");
            _sandbox?.Shared?.RemoveContainer(request.Id);
            if (mounted)
            {
                RootfsMounter.Unmount(request.Bundle);
                Record.MountedBundles.Remove(request.Id);
                _save(Record);
            }
            if (startedVm)
                await StopVmAsync();
            throw;
        }
    }

    private async Task StartVmAsync(string? networkNamespace, string? cgroupsPath, CancellationToken cancellationToken)
    {
        var sandbox = await Sandbox.StartAsync(new SandboxStartOptions(Id, _options.StateRoot, _options.Config)
        {
            WithSharedDirectory = true,
            NetworkNamespace = networkNamespace,
            CgroupsPath = cgroupsPath,
            // recorded as soon as QEMU runs: a shim killed during boot leaves a VM that only `shim delete` can find, through this record
            Launched = vm =>
            {
                Record.Hypervisor = ProcessIdentity.Of(vm.Pid);
                Record.Virtiofsd = vm.HelperPids.Select(ProcessIdentity.Of).FirstOrDefault();
                Record.SandboxDirectory = Path.Combine(_options.StateRoot, Id);
                _save(Record);
            },
        }, _log, cancellationToken);
        _sandbox = sandbox;
        Record.Hypervisor = ProcessIdentity.Of(sandbox.Vm.Pid);
        Record.Virtiofsd = sandbox.Vm.HelperPids.Select(ProcessIdentity.Of).FirstOrDefault();
        Record.SandboxDirectory = sandbox.StateDirectory;
        _save(Record);
        _agentEvents = Task.Run(() => ForwardAgentEventsAsync(sandbox));
        _log.LogInformation("pod {Pod}: VM running (hypervisor pid {Pid}, agent answered after {Ms} ms)", Id, sandbox.Vm.Pid, (int)sandbox.BootTime.TotalMilliseconds);
    }

    /// <summary>Starts a container's init (execId "") or a created exec; returns its host pid.</summary>
    public async Task<int> StartAsync(string id, string execId, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var (container, process) = Find(id, execId);
            var sandbox = RunningSandbox();
            if (process.Status != ProcessStatus.Created)
                throw new InvalidOperationException($"{Describe(id, execId)}: cannot start: it is {process.Status.ToString().ToLowerInvariant()}");
            if (process.IsInit)
            {
                await sandbox.Agent.StartContainerAsync(id, cancellationToken);
                lock (_sync)
                {
                    if (process.Status == ProcessStatus.Created)
                        process.Status = ProcessStatus.Running;
                    _events.Publish(new TaskEvent(TaskEventKind.Start, id) { Pid = process.Pid });
                }
                process.Stdio!.StartInput();
                return process.Pid;
            }
            if (container.Init.Status is not (ProcessStatus.Running or ProcessStatus.Paused))
                throw new InvalidOperationException($"{Describe(id, execId)}: cannot start: container {id} is {container.Init.Status.ToString().ToLowerInvariant()}");
            var stdio = ProcessStdio.Open(sandbox.Agent, id, execId, process.Io, _log);
            try
            {
                await sandbox.Agent.ExecAsync(id, execId, process.Spec!, stdin: process.Io.Stdin.Length > 0, cancellationToken);
            }
            catch
            {
                await stdio.DisposeAsync();
                throw;
            }
            process.Stdio = stdio;
            stdio.StartOutput();
            stdio.StartInput();
            lock (_sync)
            {
                process.Pid = sandbox.Vm.Pid;
                process.Status = ProcessStatus.Running;
                _events.Publish(new TaskEvent(TaskEventKind.ExecStarted, id) { ExecId = execId, Pid = process.Pid });
            }
            Watch(container, process);
            return process.Pid;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Registers an exec (started later by <see cref="StartAsync"/>).</summary>
    public void AddExec(string id, string execId, ProcessIo io, Process spec)
    {
        if (execId.Length == 0)
            throw new ArgumentException($"container {id}: an exec needs an id");
        ContainerId.Validate(execId, "exec_id");
        lock (_sync)
        {
            var (container, _) = Find(id, "");
            if (container.Init.Status is not (ProcessStatus.Running or ProcessStatus.Paused))
                throw new InvalidOperationException($"container {id}: cannot exec: it is {container.Init.Status.ToString().ToLowerInvariant()}");
            if (container.Execs.ContainsKey(execId))
                throw new TaskAlreadyExistsException($"exec {execId} of container {id}: already exists");
            if (io.Terminal != spec.Terminal)
                throw new ArgumentException($"exec {execId}: terminal={io.Terminal} in the request but terminal={spec.Terminal} in its process spec");
            container.Execs[execId] = new PodProcess(id, execId, io, spec);
            _events.Publish(new TaskEvent(TaskEventKind.ExecAdded, id) { ExecId = execId });
        }
    }

    /// <summary>
    /// Deletes an exec (which must have ended) or a container (which must not be running; a created one
    /// is removed by force). Deleting the pod's own container stops the VM. Returns how the process ended.
    /// </summary>
    public async Task<ProcessExitInfo> DeleteAsync(string id, string execId, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var (container, process) = Find(id, execId);
            if (!process.IsInit)
            {
                lock (_sync)
                {
                    if (process.Status is ProcessStatus.Running or ProcessStatus.Paused)
                        throw new InvalidOperationException($"{Describe(id, execId)}: cannot delete a running process");
                    container.Execs.Remove(execId);
                    return process.ExitInfo;
                }
            }
            if (process.Status is ProcessStatus.Running or ProcessStatus.Paused)
                throw new InvalidOperationException($"container {id}: cannot delete a running container (kill it first)");
            await RemoveContainerAsync(container);
            if (id == Id)
                await StopVmAsync();
            return process.ExitInfo;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task RemoveContainerAsync(PodContainer container)
    {
        var init = container.Init;
        bool neverStarted;
        lock (_sync)
            neverStarted = init.MarkExited(0, DateTime.UtcNow);
        if (neverStarted)
        {
            init.ReleaseWaiters();
            if (init.Stdio is { } stdio)
                await stdio.DisposeAsync();
        }
        if (_sandbox is { } sandbox && !sandbox.Vm.Exited.IsCompleted)
            await Quietly(() => sandbox.Agent.RemoveContainerAsync(container.Id, force: true, CancellationToken.None), $"remove container {container.Id} in the guest");
        _sandbox?.Shared?.RemoveContainer(container.Id);
        if (container.MountedRootfs)
            RootfsMounter.Unmount(container.Bundle);
        lock (_sync)
        {
            _containers.Remove(container.Id);
            Record.MountedBundles.Remove(container.Id);
            _events.Publish(new TaskEvent(TaskEventKind.Delete, container.Id) { Pid = init.Pid, ExitStatus = init.ExitStatus, At = init.ExitedAt ?? DateTime.UtcNow });
        }
        _save(Record);
        _log.LogInformation("container {Id}: deleted", container.Id);
    }

    public async Task KillAsync(string id, string execId, int signal, bool all, CancellationToken cancellationToken)
    {
        var (_, process) = Find(id, execId);
        if (process.Status == ProcessStatus.Stopped)
            throw new TaskNotFoundException($"{Describe(id, execId)}: process already finished");
        await RunningSandbox().Agent.SignalAsync(id, execId, signal, all && process.IsInit, cancellationToken);
    }

    public ProcessSnapshot State(string id, string execId)
    {
        lock (_sync)
        {
            var (container, process) = Find(id, execId);
            return new ProcessSnapshot(id, execId, container.Bundle, process.Pid, process.Status, process.Io, process.ExitStatus, process.ExitedAt);
        }
    }

    public Task<ProcessExitInfo> WaitAsync(string id, string execId, CancellationToken cancellationToken) =>
        Find(id, execId).Process.Exited.WaitAsync(cancellationToken);

    public async Task<IReadOnlyList<GuestProcess>> PidsAsync(string id, CancellationToken cancellationToken)
    {
        Find(id, "");
        return await RunningSandbox().Agent.ListProcessesAsync(id, cancellationToken);
    }

    public async Task PauseAsync(string id, CancellationToken cancellationToken)
    {
        var (_, init) = Find(id, "");
        if (init.Status != ProcessStatus.Running)
            throw new InvalidOperationException($"container {id}: cannot pause: it is {init.Status.ToString().ToLowerInvariant()}");
        await RunningSandbox().Agent.PauseContainerAsync(id, cancellationToken);
        lock (_sync)
        {
            if (init.Status == ProcessStatus.Running)
                init.Status = ProcessStatus.Paused;
            _events.Publish(new TaskEvent(TaskEventKind.Paused, id));
        }
    }

    public async Task ResumeAsync(string id, CancellationToken cancellationToken)
    {
        var (_, init) = Find(id, "");
        if (init.Status != ProcessStatus.Paused)
            throw new InvalidOperationException($"container {id}: cannot resume: it is {init.Status.ToString().ToLowerInvariant()}");
        await RunningSandbox().Agent.ResumeContainerAsync(id, cancellationToken);
        lock (_sync)
        {
            if (init.Status == ProcessStatus.Paused)
                init.Status = ProcessStatus.Running;
            _events.Publish(new TaskEvent(TaskEventKind.Resumed, id));
        }
    }

    public Task ResizeAsync(string id, string execId, int width, int height, CancellationToken cancellationToken)
    {
        var (_, process) = Find(id, execId);
        if (!process.Io.Terminal)
            throw new InvalidOperationException($"{Describe(id, execId)}: has no terminal to resize");
        return RunningSandbox().Agent.ResizeAsync(id, execId, rows: height, columns: width, cancellationToken);
    }

    public void CloseInput(string id, string execId) => Find(id, execId).Process.Stdio?.CloseInput();

    public Task UpdateAsync(string id, LinuxResources resources, CancellationToken cancellationToken)
    {
        Find(id, "");
        return RunningSandbox().Agent.UpdateContainerAsync(id, resources, cancellationToken);
    }

    public Task<ContainerStats> StatsAsync(string id, CancellationToken cancellationToken)
    {
        Find(id, "");
        return RunningSandbox().Agent.StatsAsync(id, cancellationToken);
    }

    /// <summary>Stops the VM and everything of the pod (for shutdown, or when the sandbox container goes).</summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            await StopVmAsync();
            foreach (var container in Snapshot())
                await RemoveContainerAsync(container);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task StopVmAsync()
    {
        if (_sandbox is not { } sandbox)
            return;
        _stopping.Cancel();
        await sandbox.StopAsync();
        _sandbox = null;
        await Task.WhenAll(_watchers.Append(_agentEvents).Select(t => Quietly(() => t, "finish a watcher")));
        // Containers still listed (app containers when the sandbox container went first) died with the VM.
        foreach (var container in Snapshot())
            Finish(container, container.Init, InitRelay.VmDiedStatus, DateTime.UtcNow, oom: false);
        Record.Hypervisor = null;
        Record.Virtiofsd = null;
        Record.SandboxDirectory = null;
        _save(Record);
        _log.LogInformation("pod {Pod}: VM stopped", Id);
    }

    /// <summary>Waits for a process to end in the guest, or for the VM to die; then drains its output and publishes the exit.</summary>
    private void Watch(PodContainer container, PodProcess process)
    {
        var sandbox = _sandbox!;
        var task = Task.Run(async () =>
        {
            var wait = sandbox.Agent.WaitAsync(container.Id, process.ExecId, _stopping.Token);
            var first = await Task.WhenAny(wait, sandbox.Vm.Exited);
            int status = InitRelay.VmDiedStatus;
            bool oom = false;
            DateTime at = DateTime.UtcNow;
            if (first == wait && wait.IsCompletedSuccessfully)
                (status, oom, at) = (wait.Result.Status, wait.Result.OomKilled, wait.Result.ExitedAt);
            else if (first != wait)
                _log.LogWarning("{Process}: the VM died ({How}); reporting exit status {Status}", Describe(container.Id, process.ExecId), sandbox.Vm.Exited.Result, status);
            else if (!_stopping.IsCancellationRequested)
                _log.LogWarning("{Process}: waiting for it failed ({Error}); reporting exit status {Status}", Describe(container.Id, process.ExecId), wait.Exception?.InnerException?.Message, status);
            if (process.Stdio is { } stdio)
            {
                await stdio.DrainAsync();
                await stdio.DisposeAsync();
            }
            Finish(container, process, status, at, oom);
        });
        lock (_sync)
        {
            _watchers.RemoveAll(t => t.IsCompleted);
            _watchers.Add(task);
        }
    }

    private void Finish(PodContainer container, PodProcess process, int status, DateTime at, bool oom)
    {
        lock (_sync)
        {
            if (!process.MarkExited(status, at))
                return;
            if (oom && !container.OomPublished)
            {
                container.OomPublished = true;
                _events.Publish(new TaskEvent(TaskEventKind.Oom, container.Id));
            }
            _events.Publish(new TaskEvent(TaskEventKind.Exit, container.Id) { ExecId = process.ExecId, Pid = process.Pid, ExitStatus = status, At = at });
        }
        process.ReleaseWaiters();
    }

    private async Task ForwardAgentEventsAsync(Sandbox sandbox)
    {
        try
        {
            await foreach (var e in sandbox.Agent.EventsAsync(_stopping.Token))
            {
                if (!e.Oom)
                    continue;
                lock (_sync)
                {
                    if (!_containers.TryGetValue(e.ContainerId, out var container))
                        continue;
                    container.OomPublished = true;
                    _events.Publish(new TaskEvent(TaskEventKind.Oom, e.ContainerId) { At = e.Timestamp });
                }
            }
        }
        catch (Exception e) when (e is AgentException or OperationCanceledException or IOException)
        {
            if (!_stopping.IsCancellationRequested)
                _log.LogDebug("pod {Pod}: agent events ended: {Error}", Id, e.Message);
        }
    }

    private (PodContainer Container, PodProcess Process) Find(string id, string execId)
    {
        lock (_sync)
        {
            if (!_containers.TryGetValue(id, out var container))
                throw new TaskNotFoundException($"container {id}: not found");
            if (execId.Length == 0)
                return (container, container.Init);
            if (!container.Execs.TryGetValue(execId, out var exec))
                throw new TaskNotFoundException($"exec {execId} of container {id}: not found");
            return (container, exec);
        }
    }

    private List<PodContainer> Snapshot()
    {
        lock (_sync)
            return [.. _containers.Values];
    }

    private Sandbox RunningSandbox()
    {
        var sandbox = _sandbox ?? throw new InvalidOperationException($"pod {Id} has no VM");
        if (sandbox.Vm.Exited.IsCompleted)
            throw new InvalidOperationException($"pod {Id}: the VM is not running ({sandbox.Vm.Exited.Result})");
        return sandbox;
    }

    private static string Describe(string id, string execId) => execId.Length == 0 ? $"container {id}" : $"exec {execId} of container {id}";

    private async Task Quietly(Func<Task> action, string what)
    {
        try
        {
            await action();
        }
        catch (Exception e) when (e is AgentException or IOException or OperationCanceledException or InvalidOperationException)
        {
            _log.LogDebug("{What}: {Error}", what, e.Message);
        }
    }
}
