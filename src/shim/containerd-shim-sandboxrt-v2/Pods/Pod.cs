// One pod: the VM that a shim owns, and the containers containerd creates in it.
//
// containerd starts one shim per pod and calls the Task API for every container of the pod on it. The
// first container (the CRI sandbox container, or the only container of a `ctr run`) boots the VM; the
// pod's app containers join it. Each container is a GuestContainer (the one create/start/wait/remove
// flow the runc CLI shares); each container's init and each exec is a PodProcess whose ProcessState
// refuses the verbs its state does not allow, watched by a task that waits on the agent (or on the VM's
// death) and then publishes the exit.
//
// Concurrency: lifecycle calls that change what exists (create, start, exec start, delete, shutdown)
// are serialized by a gate; they may block on the agent while holding it. Process state and event
// publication happen together in the PodTable, under its lock.
//
// Sizing (Kata's default_vcpus/default_memory): the VM is the default plus every container's limits. A
// container with limits that joins grows it before it is created; one that is deleted, or whose limits
// are lowered, shrinks it back toward what the remaining containers need, where the guest gives the
// hot-plugged vCPUs and memory back. A shrink never fails the verb that caused it: what the guest keeps
// is logged and stays counted in the VM's size.
//
// The host pid containerd gets for every process is the hypervisor's: the processes themselves live in
// the guest (as with Kata). Guest pids are what Pids returns.
using Microsoft.Extensions.Logging;
using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Containers;
using SandboxRt.Runtime.Core;
using SandboxRt.Runtime.Core.States;
using SandboxRt.Runtime.Diagnostics;
using SandboxRt.Runtime.HostCgroups;
using SandboxRt.Runtime.Sandboxes;
using SandboxRt.Runtime.State;
using SandboxRt.Shim.Io;

namespace SandboxRt.Shim.Pods;

internal sealed class Pod : IAsyncDisposable
{
    private readonly PodOptions _options;
    private readonly Action<PodRecord> _save;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly PodTable _table;
    private readonly PodSizing _sizing;
    private readonly PodWatchers _watchers;
    private readonly PodPidSharing _pidSharing = new();
    private IGuestSandbox? _sandbox;
    private SandboxRt.Runtime.Network.PortForwarding.PodPortForwarding? _portForwarding;

    public Pod(PodOptions options, ITaskEventSink events, Action<PodRecord> save, ILogger log)
    {
        _options = options;
        _table = new PodTable(events);
        _sizing = new PodSizing(options.Id, options.Config, log);
        _watchers = new PodWatchers(options.Id, _table, log);
        _save = save;
        _log = log;
        Record = new PodRecord { PodId = options.Id, Shim = ProcessIdentity.Of(Environment.ProcessId), ShutdownGraceSeconds = options.Config.ShutdownGraceSeconds };
    }

    public string Id => _options.Id;
    public PodRecord Record { get; }
    /// <summary>The hypervisor's pid, or 0 before the VM runs.</summary>
    public int VmPid => _sandbox?.VmPid ?? 0;
    public bool IsEmpty => _table.IsEmpty;

    /// <summary>Creates a container (booting the pod's VM for the first one) and returns its host pid.</summary>
    public async Task<int> CreateAsync(CreateTaskRequest request, CancellationToken cancellationToken)
    {
        ContainerId.Validate(request.Id);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_table.Contains(request.Id))
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
        var sandboxGuestPid = app ? _table.GuestPidOf(Id) : null;
        var pidGuestPid = sandboxGuestPid is { } sandboxPid ? _pidSharing.TargetOf(request.Id, spec, sandboxPid, RunningAppContainers()) : null;
        PodNamespaces.TranslateForGuest(spec, sandboxGuestPid, pidGuestPid);
        if (_sandbox is null)
            // a bad network namespace path fails before any VM; a hostNetwork pod (no network namespace)
            // runs with the VM's own network, loopback only (README, "What works today")
            BundleSpecRewriter.CheckHostOnlyFields(spec, refuseHostNetwork: false);
        if (request.Io.Terminal != (spec.Process?.Terminal ?? false))
            throw new ArgumentException($"container {request.Id}: terminal={request.Io.Terminal} in the request but process.terminal={spec.Process?.Terminal ?? false} in config.json");

        bool mounted = false, startedVm = false;
        GuestContainer? guest = null;
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
                await StartVmAsync(spec, cancellationToken);
                startedVm = true;
            }
            var sandbox = _sandbox!;
            // the host CPUs first: a list the host has not fails the create before the VM grows for it
            bool criSandbox = CriAnnotations.IsSandbox(spec.Annotations);
            var pinned = CpusetLimits(_table.Containers());
            sandbox.PinHostCpus(HostCpuset.ForPod(criSandbox ? pinned : pinned.Append(spec.Linux?.Resources)));
            // the VM is the default plus every container's limits: a container that joins with limits grows it
            await _sizing.GrowAsync(sandbox, _table.Containers().Select(c => c.Resources).Append(spec.Linux?.Resources), cancellationToken);
            var hooks = new PodHooks(request.Id, request.Bundle, spec.Hooks, spec.Annotations);
            await hooks.CreateAsync(sandbox.VmPid, cancellationToken);
            stdio = ProcessStdio.Open(sandbox.Agent, request.Id, "", request.Io, _log);
            guest = await GuestContainer.CreateAsync(sandbox, new ContainerLaunch(request.Id, spec, request.Bundle) { Stdin = request.Io.Stdin.Length > 0 }, cancellationToken);
            stdio.StartOutput();
            var init = new PodProcess(request.Id, "", request.Io, null) { Pid = sandbox.VmPid, Stdio = stdio };
            var container = new PodContainer(request.Bundle, mounted, guest, init) { Resources = spec.Linux?.Resources, Process = spec.Process, Hooks = hooks, IsCriSandbox = criSandbox };
            _table.Add(container, new TaskEvent(TaskEventKind.Create, request.Id) { Pid = init.Pid, Create = request });
            _watchers.Watch(container, init);
            _log.LogInformation("container {Id}: created in pod {Pod} (guest pid {GuestPid})", request.Id, Id, guest.GuestPid);
            return init.Pid;
        }
        catch (Exception e)
        {
            _log.LogError("container {Id}: create failed: {Error}", request.Id, e.Message);
            if (_sandbox is { } sandbox && e is AgentException)
                _log.LogError("guest console, last lines:\n{Console}", string.Join('\n', LogTail.Read(sandbox.ConsoleLogPath, 25)));
            if (stdio is not null)
                await stdio.DisposeAsync();
            if (guest is not null)
                await guest.RemoveAsync(_log);
            if (mounted)
            {
                RootfsMounter.Unmount(request.Bundle);
                Record.MountedBundles.Remove(request.Id);
                _save(Record);
            }
            if (startedVm)
                await StopVmAsync();
            else
                await ShrinkVmAsync(); // a growth for the container that failed is given back
            throw;
        }
    }

    /// <summary>
    /// Boots the pod's VM for its first container, in its network namespace and host cgroup (the CRI
    /// sandbox container's): at the default size where the hypervisor can resize (the caller grows it to
    /// the pod's limits right after, by hot-plug, which is what a shrink can give back later, and the
    /// default-size VM template serves every pod), else sized for that container.
    /// </summary>
    private async Task StartVmAsync(Spec first, CancellationToken cancellationToken)
    {
        var size = _sizing.BootSize(first);
        var sandbox = await _options.StartSandbox(new SandboxStartOptions(Id, _options.StateRoot, _options.Config)
        {
            WithSharedDirectory = true,
            Vcpus = size.Vcpus,
            MemoryMib = size.MemoryMib,
            NetworkNamespace = BundleSpecRewriter.NetworkNamespacePath(first),
            CgroupsPath = SandboxRt.Runtime.HostCgroups.CgroupsPath.Resolve(first.Linux?.CgroupsPath),
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
        if (sandbox is IHostSandbox { StateDirectory: var stateDirectory } && stateDirectory != Record.SandboxDirectory)
        {
            Record.SandboxDirectory = stateDirectory; // a VM from the cache lives in its entry's directory
            _save(Record);
        }
        _watchers.ForwardAgentEvents(sandbox);
        // kubectl port-forward: containerd dials localhost in the CRI pod's namespace, which the VM's guest is not
        if (CriAnnotations.IsSandbox(first.Annotations) && BundleSpecRewriter.NetworkNamespacePath(first) is { } netns)
            _portForwarding = await SandboxRt.Runtime.Network.PortForwarding.PodPortForwarding.StartAsync(netns, sandbox.Agent, Id, _log);
        _log.LogInformation("pod {Pod}: VM running (hypervisor pid {Pid})", Id, sandbox.VmPid);
    }

    /// <summary>Starts a container's init (execId "") or a created exec; returns its host pid.</summary>
    public async Task<int> StartAsync(string id, string execId, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var (container, process) = _table.Find(id, execId);
            var sandbox = RunningSandbox();
            var running = process.State.Start(process.Description);
            if (process.IsInit)
            {
                await container.Guest.StartAsync(cancellationToken);
                _table.Change(() => process.State = process.State is CreatedState ? running : process.State, new TaskEvent(TaskEventKind.Start, id) { Pid = process.Pid });
                process.Stdio!.StartInput();
                if (container.Hooks is { } hooks)
                    await hooks.StartedAsync(process.Pid, () => sandbox.Agent.SignalAsync(id, "", 9, all: true, CancellationToken.None), _log, cancellationToken);
                return process.Pid;
            }
            container.Init.State.Exec(container.Init.Description);
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
            _table.Change(() => (process.Pid, process.State) = (sandbox.VmPid, running), new TaskEvent(TaskEventKind.ExecStarted, id) { ExecId = execId, Pid = sandbox.VmPid });
            _watchers.Watch(container, process);
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
        if (io.Terminal != spec.Terminal)
            throw new ArgumentException($"exec {execId}: terminal={io.Terminal} in the request but terminal={spec.Terminal} in its process spec");
        var (container, _) = _table.Find(id, "");
        InheritedRlimits.FillMissingForExec(spec, container.Process);
        _table.Change(() =>
        {
            container.Init.State.Exec(container.Init.Description);
            if (container.Execs.ContainsKey(execId))
                throw new TaskAlreadyExistsException($"exec {execId} of container {id}: already exists");
            container.Execs[execId] = new PodProcess(id, execId, io, spec);
        }, new TaskEvent(TaskEventKind.ExecAdded, id) { ExecId = execId });
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
            var (container, process) = _table.Find(id, execId);
            if (!process.IsInit)
                return _table.Locked(() =>
                {
                    process.State.Delete(process.Description, force: false);
                    container.Execs.Remove(execId);
                    return process.ExitInfo;
                });
            process.State.Delete(process.Description, force: false);
            await RemoveContainerAsync(container);
            if (id == Id)
                await StopVmAsync();
            else
                await ShrinkVmAsync();
            if (container.Hooks is { } hooks)
                await hooks.StoppedAsync(_log);
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
        if (_table.Locked(() => init.MarkExited(0, DateTime.UtcNow))) // it never ran
        {
            init.ReleaseWaiters();
            if (init.Stdio is { } stdio)
                await stdio.DisposeAsync();
        }
        await container.Guest.RemoveAsync(_log);
        if (container.MountedRootfs)
            RootfsMounter.Unmount(container.Bundle);
        Record.MountedBundles.Remove(container.Id);
        _pidSharing.Removed(container.Id);
        _table.Remove(container.Id, new TaskEvent(TaskEventKind.Delete, container.Id) { Pid = init.Pid, ExitStatus = init.ExitStatus, At = init.ExitedAt ?? DateTime.UtcNow });
        _save(Record);
        _log.LogInformation("container {Id}: deleted", container.Id);
    }

    public async Task KillAsync(string id, string execId, int signal, bool all, CancellationToken cancellationToken)
    {
        var (_, process) = _table.Find(id, execId);
        process.State.Kill(process.Description);
        await RunningSandbox().Agent.SignalAsync(id, execId, signal, all && process.IsInit, cancellationToken);
    }

    public ProcessSnapshot State(string id, string execId) => _table.Snapshot(id, execId);
    public Task<ProcessExitInfo> WaitAsync(string id, string execId, CancellationToken cancellationToken) =>
        _table.Find(id, execId).Process.Exited.WaitAsync(cancellationToken);

    public async Task<IReadOnlyList<GuestProcess>> PidsAsync(string id, CancellationToken cancellationToken)
    {
        _table.Find(id, "");
        return await RunningSandbox().Agent.ListProcessesAsync(id, cancellationToken);
    }

    public Task PauseAsync(string id, CancellationToken cancellationToken) => FreezeAsync(id, pause: true, cancellationToken);
    public Task ResumeAsync(string id, CancellationToken cancellationToken) => FreezeAsync(id, pause: false, cancellationToken);

    private async Task FreezeAsync(string id, bool pause, CancellationToken cancellationToken)
    {
        var (_, init) = _table.Find(id, "");
        var from = init.State;
        var next = pause ? from.Pause(init.Description) : from.Resume(init.Description);
        var agent = RunningSandbox().Agent;
        await (pause ? agent.PauseContainerAsync(id, cancellationToken) : agent.ResumeContainerAsync(id, cancellationToken));
        _table.Change(() => init.State = init.State == from ? next : init.State, new TaskEvent(pause ? TaskEventKind.Paused : TaskEventKind.Resumed, id));
    }

    public Task ResizeAsync(string id, string execId, int width, int height, CancellationToken cancellationToken)
    {
        var (_, process) = _table.Find(id, execId);
        if (!process.Io.Terminal)
            throw new InvalidOperationException($"{process.Description}: has no terminal to resize");
        return RunningSandbox().Agent.ResizeAsync(id, execId, rows: height, columns: width, cancellationToken);
    }

    public void CloseInput(string id, string execId) => _table.Find(id, execId).Process.Stdio?.CloseInput();
    /// <summary>
    /// New limits for a container (CRI UpdateContainerResources): the VM grows first when the pod's limits
    /// now need more, and shrinks after the container's cgroup has its lower limits when they need less.
    /// </summary>
    public async Task UpdateAsync(string id, LinuxResources resources, CancellationToken cancellationToken)
    {
        var (container, init) = _table.Find(id, "");
        init.State.Inspect("update", init.Description);
        var sandbox = RunningSandbox();
        // the host CPUs first (Kubernetes' static CPU manager sets them here): a list the host has not fails the update before the VM or the guest changes
        if (!container.IsCriSandbox)
            sandbox.PinHostCpus(HostCpuset.ForPod(CpusetLimits(_table.Containers().Where(c => c.Id != id)).Append(resources)));
        await _sizing.GrowAsync(sandbox, _table.Containers().Select(c => c.Id == id ? resources : c.Resources), cancellationToken);
        await sandbox.Agent.UpdateContainerAsync(id, resources, cancellationToken);
        container.Resources = resources;
        await ShrinkVmAsync();
    }

    /// <summary>After a container went (or failed to come): the VM shrinks to the others' limits and runs on the host CPUs they name.</summary>
    private async Task ShrinkVmAsync()
    {
        await _sizing.ShrinkAsync(_sandbox, _table.Containers().Select(c => c.Resources));
        _sizing.Repin(_sandbox, CpusetLimits(_table.Containers()));
    }

    /// <summary>
    /// The limits the pod's host CPUs come from (HostCpuset): every container's but the CRI sandbox's,
    /// which names none (CRI has no cpuset for it) and would otherwise unpin every pod.
    /// </summary>
    private static IEnumerable<LinuxResources?> CpusetLimits(IEnumerable<PodContainer> containers) =>
        containers.Where(c => !c.IsCriSandbox).Select(c => c.Resources);

    public Task<ContainerStats> StatsAsync(string id, CancellationToken cancellationToken)
    {
        _table.Find(id, "");
        return RunningSandbox().Agent.StatsAsync(id, cancellationToken);
    }

    /// <summary>The containers whose init has not ended (created, running or paused).</summary>
    private List<PodContainer> LiveContainers() =>
        _table.Locked(() => _table.Containers().Where(c => c.Init.Status is ContainerStatus.Created or ContainerStatus.Running or ContainerStatus.Paused).ToList());

    /// <summary>The live app containers (all but the sandbox container), with their guest pids.</summary>
    private List<(string Id, int GuestPid)> RunningAppContainers() =>
        LiveContainers().Where(c => c.Id != Id).Select(c => (c.Id, c.Guest.GuestPid)).ToList();

    /// <summary>The live containers' ids: those the monitor asks stats of.</summary>
    public IReadOnlyList<string> LiveContainerIds() => LiveContainers().Select(c => c.Id).ToList();

    /// <summary>Stops the VM and everything of the pod (for shutdown, or when the sandbox container goes).</summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            await StopVmAsync();
            foreach (var container in _table.Containers())
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
        if (_portForwarding is { } forwarding)
        {
            _portForwarding = null;
            await forwarding.DisposeAsync();
        }
        _watchers.Stop();
        await sandbox.StopAsync();
        _sandbox = null;
        await _watchers.AllEndedAsync();
        // Containers still listed (app containers when the sandbox container went first) died with the VM.
        foreach (var container in _table.Containers())
            _table.Finish(container, container.Init, ProcessExit.VmDied(DateTime.UtcNow));
        Record.Hypervisor = null;
        Record.Virtiofsd = null;
        Record.SandboxDirectory = null;
        _save(Record);
        _log.LogInformation("pod {Pod}: VM stopped", Id);
    }

    private IGuestSandbox RunningSandbox()
    {
        var sandbox = _sandbox ?? throw new InvalidOperationException($"pod {Id} has no VM");
        if (sandbox.VmExited.IsCompleted)
            throw new InvalidOperationException($"pod {Id}: the VM is not running ({sandbox.VmExited.Result})");
        return sandbox;
    }
}
