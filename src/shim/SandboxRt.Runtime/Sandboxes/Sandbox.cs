using Microsoft.Extensions.Logging;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Channels;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.HostCgroups;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.Hypervisors.Qemu;
using SandboxRt.Runtime.Network;
using SandboxRt.Runtime.Storage;

namespace SandboxRt.Runtime.Sandboxes;

/// <summary>
/// One sandbox: a VM with a serving agent, and its state directory. Starting either returns a sandbox
/// whose agent answered, or cleans up everything it made (VM, sockets, files, the directory) and throws.
/// </summary>
public sealed class Sandbox : IHostSandbox, IAsyncDisposable
{
    private int _stopped;

    private readonly ILogger _log;
    private readonly AgentClient _client;
    private Core.IContainerStorage? _storage;
    private readonly SemaphoreSlim _growing = new(1, 1);

    private Sandbox(string id, string stateDirectory, IVirtualMachine vm, AgentClient agent, TimeSpan bootTime, SharedDirectory? shared, PodNetwork? network, HostCgroup? cgroup, ILogger log)
    {
        _log = log;
        Cgroup = cgroup;
        Network = network;
        Id = id;
        Shared = shared;
        StateDirectory = stateDirectory;
        Vm = vm;
        _client = agent;
        BootTime = bootTime;
    }

    public string Id { get; }
    public string StateDirectory { get; }
    public IVirtualMachine Vm { get; }
    public IAgent Agent => _client;

    int Core.IGuestVm.VmPid => Vm.Pid;
    Task<string> Core.IGuestVm.VmExited => Vm.Exited;
    string Core.IGuestVm.ConsoleLogPath => Vm.ConsoleLogPath;
    IReadOnlyList<int> IHostSandbox.HelperPids => Vm.HelperPids;

    /// <summary>Container files through the shared directory; a sandbox started without one has no storage.</summary>
    public Core.IContainerStorage Storage => _storage ??= new Core.SharedDirectoryStorage(
        Shared ?? throw new InvalidOperationException($"sandbox {Id} was started without a shared directory: it cannot hold containers"));

    /// <summary>Serves a gRPC proxy that forwards every agent call to this sandbox's agent (<see cref="AgentProxy"/>).</summary>
    public Task<IAsyncDisposable> ServeAgentAsync(string socketPath, ILogger log) => AgentProxy.ServeAsync(_client, socketPath, log);

    /// <summary>The host side of the shared directory, when the sandbox has one.</summary>
    public SharedDirectory? Shared { get; }

    /// <summary>The pod network the VM mirrors, when it was started in one (or was given one since: <see cref="AttachNetworkAsync"/>).</summary>
    public PodNetwork? Network { get; private set; }

    /// <summary>The pod's host cgroup the VM runs in, when the spec named one.</summary>
    public HostCgroup? Cgroup { get; private set; }

    /// <summary>Where the boot time went, when it was measured (<see cref="SandboxStartOptions.MeasureBoot"/>).</summary>
    public BootBreakdown? Boot { get; private init; }

    /// <summary>Wall time from launching the hypervisor to the agent's first answer.</summary>
    public TimeSpan BootTime { get; }

    public static async Task<Sandbox> StartAsync(SandboxStartOptions options, ILogger log, CancellationToken cancellationToken = default)
    {
        var id = ContainerId.Validate(options.Id);
        var stateDirectory = Path.Combine(options.StateRoot, id);
        if (!options.StateDirectoryExists && Directory.Exists(stateDirectory) && Directory.EnumerateFileSystemEntries(stateDirectory).Any())
            throw new InvalidOperationException($"sandbox {id} already exists ({stateDirectory})");
        var hypervisor = HypervisorFactory.Create(options.Config);
        var caps = hypervisor.Capabilities;
        if (caps.Accelerator.IsTcg && options.Config.Accelerator == "auto")
            log.LogWarning("using TCG: {Reason}", caps.Accelerator.Reason);
        log.LogDebug("sandbox {Id}: launching {Hypervisor} ({Accelerator}, {Channel} channel)", id, caps.Name, caps.Accelerator.Accelerator, caps.GuestChannel);

        PrivateFiles.CreateDirectory(stateDirectory);
        IVirtualMachine? vm = null;
        SharedDirectory? shared = null;
        AgentClient? agent = null;
        PodNetwork? network = null;
        HostCgroup? cgroup = null;
        try
        {
            if (options.CgroupsPath is { } cgroupsPath)
            {
                cgroup = HostCgroup.Create(cgroupsPath);
                cgroup.Save(stateDirectory);
            }
            options.HostCpuset.ApplyTo(cgroup); // before the VM: a list the host has not fails before any boot
            // With NetworkSettled the namespace is only checked now: its interfaces are still being made
            bool late = options.NetworkSettled is not null && options.NetworkNamespace is not null;
            if (options.NetworkNamespace is { } netns)
            {
                if (late)
                    PodNetwork.CheckNamespace(netns, "network namespace", options.NetworkNamespaceIsOwn);
                else
                    network = AttachNamespace(id, netns, stateDirectory, options.NetworkNamespaceIsOwn, log);
            }
            if (options.WithSharedDirectory)
                shared = SharedDirectory.Create(stateDirectory);
            var token = AgentToken.Create(stateDirectory);
            var size = new VmSize(options.Vcpus ?? options.Config.DefaultVcpus, options.MemoryMib ?? options.Config.DefaultMemoryMib);
            var max = VmSize.Max(options.Config);
            var request = new VmLaunchRequest(id, stateDirectory, options.Config)
            {
                AgentTokenFile = token.FilePath,
                HypervisorReadableFiles = [token.FilePath], // a jailed QEMU opens it as its own user
                Vcpus = size.Vcpus,
                MemoryMib = size.MemoryMib,
                MaxVcpus = max.Vcpus,
                MaxMemoryMib = max.MemoryMib,
                InitrdOverride = options.InitrdOverride,
                SharedDirectory = shared?.Path,
                SharedDirectoryNamespace = shared?.Namespace,
                NetworkDevices = network?.Devices ?? [],
                Cgroups = cgroup?.Directories ?? [],
            };
            // Where the namespace is final only later (NetworkSettled), the VM starts meanwhile and its NICs
            // are plugged once it is (below, once the agent answers); a VM that cannot take them after its
            // start (a cold one: a template's fallback) starts again then, with its NICs on its command line.
            async Task SettleNetworkAsync()
            {
                await options.NetworkSettled!;
                network = AttachNamespace(id, options.NetworkNamespace!, stateDirectory, options.NetworkNamespaceIsOwn, log);
                request = request with { NetworkDevices = network.Devices };
            }
            vm = await hypervisor.LaunchAsync(request, cancellationToken);
            options.Launched?.Invoke(vm);
            if (vm.Start.ColdReason is { } cold)
                log.Log(vm.Start.Warn ? LogLevel.Warning : LogLevel.Debug, "sandbox {Id}: booting cold, not from a VM template: {Reason}", id, cold);
            if (late && vm is not IVmNicHotplug { CanAddNics: true })
            {
                log.LogDebug("sandbox {Id}: its VM takes no NICs after its start: it starts again once the network namespace is settled", id);
                await vm.StopAsync(CancellationToken.None);
                await SettleNetworkAsync();
                vm = await hypervisor.LaunchAsync(request with { AllowTemplate = false }, cancellationToken);
                options.Launched?.Invoke(vm);
            }
            var bootTimeout = TimeSpan.FromSeconds(options.Config.BootTimeoutSeconds);
            (Stream Stream, TimeSpan Elapsed) answered;
            try
            {
                answered = await WaitForAgentAsync(vm, token, vm.Start.FromTemplate && CloneAnswerTimeout < bootTimeout ? CloneAnswerTimeout : bootTimeout, cancellationToken);
            }
            catch (BootFailedException e) when (vm.Start.FromTemplate && !cancellationToken.IsCancellationRequested)
            {
                // A clone whose agent does not answer means a broken template, not a broken sandbox: it
                // boots cold (the taps are still ours to hand to the new QEMU).
                log.LogWarning("sandbox {Id}: booting cold: the clone of template {Key} did not answer: {Reason}", id, vm.Start.TemplateKey, e.Message);
                await vm.StopAsync(CancellationToken.None);
                if (late && network is null)
                    await SettleNetworkAsync();
                vm = await hypervisor.LaunchAsync(request with { AllowTemplate = false }, cancellationToken);
                options.Launched?.Invoke(vm);
                answered = await WaitForAgentAsync(vm, token, bootTimeout, cancellationToken);
            }
            var (stream, elapsed) = answered;
            network?.ReleaseTaps();
            var connector = new AuthenticatingConnector(new VmBoundConnector(vm.AgentConnector, id, vm.Exited), token);
            long connected = System.Diagnostics.Stopwatch.GetTimestamp();
            agent = new AgentClient(connector, stream);
            if (vm.Start.FromTemplate)
            {
                await agent.ReseedGuestAsync(token.CopySecret(), cancellationToken);
                log.LogDebug("sandbox {Id}: restored from template {Key} in {Ms} ms", id, vm.Start.TemplateKey, (int)vm.Start.Restore.TotalMilliseconds);
            }
            log.LogDebug("sandbox {Id}: agent answered after {Ms} ms", id, (int)elapsed.TotalMilliseconds);
            BootBreakdown? boot = null;
            if (options.MeasureBoot || log.IsEnabled(LogLevel.Debug))
            {
                long before = System.Diagnostics.Stopwatch.GetTimestamp();
                var details = await agent.GuestDetailsAsync(cancellationToken: cancellationToken);
                boot = BootBreakdown.Measure(vm, connected, details, (before + System.Diagnostics.Stopwatch.GetTimestamp()) / 2);
                log.LogDebug("sandbox {Id}: boot: {Breakdown}", id, boot.ToString());
            }
            if (shared is not null && vm.SharedFs is { } fs)
                await agent.CreateSandboxAsync(id, "", [], fs.GuestDriver, SharedFsPlan.Tag, cancellationToken);
            if (late && network is null)
            {
                await SettleNetworkAsync();
                await ((IVmNicHotplug)vm).AddNicsAsync(network!.Devices, cancellationToken);
                network.ReleaseTaps();
            }
            if (network is not null)
                await network.ConfigureGuestAsync(agent, cancellationToken);
            Monitoring.MonitorJournal.Latency(Monitoring.JournalKind.Boot, elapsed);
            return new Sandbox(id, stateDirectory, vm, agent, elapsed, shared, network, cgroup, log) { Boot = boot, Size = size };
        }
        catch
        {
            Monitoring.MonitorJournal.Error("boot");
            agent?.Dispose();
            if (vm is not null)
                await vm.StopAsync(CancellationToken.None);
            network?.Detach();
            cgroup?.Remove(); // the VM and its helpers have left it
            RemoveState(shared, stateDirectory, log);
            throw;
        }
    }

    /// <summary>Wires the namespace's interfaces to taps for the VM (PodNetwork.Attach).</summary>
    private static PodNetwork AttachNamespace(string id, string netns, string stateDirectory, bool own, ILogger log)
    {
        var network = PodNetwork.Attach(netns, stateDirectory, own);
        log.LogDebug("sandbox {Id}: network namespace {Path}: {Count} interface(s) {Names}", id, netns, network.Interfaces.Count,
            string.Join(", ", network.Interfaces.Select(i => i.Name)));
        return network;
    }

    /// <summary>How long a clone's agent (already running when restored) may take to greet before the template counts as broken.</summary>
    private static readonly TimeSpan CloneAnswerTimeout = TimeSpan.FromSeconds(20);

    /// <summary>
    /// The first connection: every connection to the agent, on whatever channel the hypervisor gave,
    /// starts with the token; a clone's guest still has its template's until the first call replaces it.
    /// </summary>
    private static async Task<(Stream Stream, TimeSpan Elapsed)> WaitForAgentAsync(IVirtualMachine vm, AgentToken token, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var first = new AuthenticatingConnector(vm.AgentConnector, vm.Start.TemplateDirectory is { } template ? AgentToken.Load(template) : token);
        return await BootWaiter.WaitForAgentAsync(vm, first, timeout, cancellationToken);
    }

    /// <summary>
    /// Moves the VM's host processes (every process of the cgroup it runs in: QEMU, virtiofsd, whatever
    /// they started) into <paramref name="cgroupsPath"/>'s cgroup (<see cref="CgroupsPath.Resolve"/>), made
    /// if missing, which the sandbox then owns and removes; its former cgroup is removed. For a VM that was
    /// started before its pod was known (the shim's VM cache). What the processes were charged until now
    /// stays with the former cgroup's parent: cgroup v2 moves no charge.
    /// </summary>
    public void MoveToCgroup(string cgroupsPath)
    {
        var from = Cgroup ?? throw new InvalidOperationException($"sandbox {Id} was started in its caller's cgroups: only a sandbox started in a cgroup of its own can move");
        var target = HostCgroup.Create(cgroupsPath);
        try
        {
            for (int i = 0; i < target.Directories.Count && i < from.Directories.Count; i++)
                foreach (var pid in HostCgroup.Members(from.Directories[i]))
                    HostCgroup.JoinOne(target.Directories[i], pid);
        }
        catch
        {
            target.Remove();
            throw;
        }
        target.Save(StateDirectory);
        Cgroup = target;
        from.Remove();
        _log.LogDebug("sandbox {Id}: moved from cgroup {From} to {To}", Id, from.Path, target.Path);
    }

    /// <summary>
    /// Mirrors the network namespace <paramref name="namespacePath"/> into the running VM, as a sandbox
    /// started in it would (PodNetwork): its taps are hot-plugged as NICs (<see cref="IVmNicHotplug"/>)
    /// and the agent configures them. For a VM started before its pod (the shim's VM cache). A failure
    /// leaves no tap or qdisc behind (a NIC already plugged stays in the VM, which the caller stops).
    /// </summary>
    public async Task AttachNetworkAsync(string namespacePath, bool ownNamespace, CancellationToken cancellationToken)
    {
        if (Network is not null)
            throw new InvalidOperationException($"sandbox {Id} already mirrors {Network.NamespacePath}");
        if (Vm is not IVmNicHotplug nics)
            throw new HypervisorException($"sandbox {Id}: its VM cannot take NICs after its start");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var network = PodNetwork.Attach(namespacePath, StateDirectory, ownNamespace);
        TimeSpan tapped, plugged;
        try
        {
            tapped = watch.Elapsed;
            await nics.AddNicsAsync(network.Devices, cancellationToken);
            plugged = watch.Elapsed;
            network.ReleaseTaps();
            await network.ConfigureGuestAsync(_client, cancellationToken);
        }
        catch
        {
            network.Detach();
            throw;
        }
        Network = network;
        _log.LogDebug("sandbox {Id}: network namespace {Path}: {Count} interface(s) plugged in {Total} ms (taps and mirroring {Taps} ms, hot-plug {Plug} ms, guest configuration {Guest} ms)",
            Id, namespacePath, network.Interfaces.Count, (int)watch.ElapsedMilliseconds, (int)tapped.TotalMilliseconds, (int)(plugged - tapped).TotalMilliseconds,
            (int)(watch.Elapsed - plugged).TotalMilliseconds);
    }

    /// <summary>
    /// Mirrors what changed in the pod network since the VM was given it (docker network connect and
    /// disconnect on a running container; PodNetwork.FollowChanges): NICs hot-plugged for interfaces that
    /// appeared, which the agent then configures, with the routes and neighbours that appeared; NICs
    /// unplugged for interfaces that went (the guest drops their addresses and routes with them). Returns
    /// a line for each thing done, empty when nothing changed. Fails naming the interfaces when the VM
    /// cannot take them (a cold VM, which has no hot-plug port) or one cannot be mirrored (a tun); such
    /// interfaces are not tried again until they go and come back.
    /// </summary>
    public async Task<IReadOnlyList<string>> FollowNetworkAsync(CancellationToken cancellationToken)
    {
        if (Network is not { } network)
            return [];
        var change = network.FollowChanges();
        var done = new List<string>();
        if (change.Added.Count > 0)
        {
            var names = string.Join(", ", change.AddedInterfaces.Select(i => i.Name));
            try
            {
                if (Vm is not IVmNicHotplug { CanAddNics: true } nics)
                    throw new HypervisorException("the VM cannot take a NIC after its start (only a q35 clone of a VM template has hot-plug ports; " +
                                                  "vm_template is off, or this VM booted cold)");
                await nics.AddNicsAsync(change.Added, cancellationToken);
            }
            catch (HypervisorException e)
            {
                network.Abandon(change);
                throw new HypervisorException($"interface(s) {names}, added to network namespace {network.NamespacePath}, are not in the VM: {e.Message}", e);
            }
            change.ReleaseTaps();
            foreach (var added in change.AddedInterfaces)
                await PodNetwork.ConfigureInterfaceAsync(_client, added, cancellationToken);
            done.Add($"plugged {names}");
        }
        // routes that went first: one replaced (a default route through another gateway) is then added afresh
        if (change.GoneRoutes.Count > 0)
        {
            await _client.RemoveRoutesAsync(change.GoneRoutes, cancellationToken);
            done.Add($"{change.GoneRoutes.Count} route(s) removed");
        }
        if (change.NewRoutes.Count > 0)
        {
            await _client.UpdateRoutesAsync(change.NewRoutes, cancellationToken);
            done.Add($"{change.NewRoutes.Count} route(s)");
        }
        if (change.NewNeighbours.Count > 0)
        {
            await _client.AddNeighboursAsync(change.NewNeighbours, cancellationToken);
            done.Add($"{change.NewNeighbours.Count} neighbour(s)");
        }
        foreach (var removed in change.Removed)
        {
            if (Vm is not IVmNicHotplug nics)
                throw new HypervisorException($"interface {removed.Name} left network namespace {network.NamespacePath}, but the VM cannot unplug its NIC");
            await nics.RemoveNicAsync(removed.Mac, cancellationToken);
            done.Add($"unplugged {removed.Name}");
        }
        if (change.Unmirrorable.Count > 0)
            throw new InvalidOperationException($"network namespace {network.NamespacePath}: interface(s) {string.Join(", ", change.Unmirrorable)} have addresses " +
                                                "but cannot be mirrored into the VM (only Ethernet interfaces such as veth can)");
        return done;
    }

    private VmSizer _sizer = null!;

    /// <summary>The VM's vCPUs and memory now: what it booted with, plus what was hot-plugged since.</summary>
    public VmSize Size
    {
        get => _sizer.Size;
        private init => _sizer = new VmSizer(Id, Vm, _client, value, _log);
    }

    /// <summary>Grows the VM to at least <paramref name="target"/>, online in the guest (<see cref="VmSizer.GrowAsync"/>).</summary>
    public async Task GrowAsync(VmSize target, CancellationToken cancellationToken = default)
    {
        await _growing.WaitAsync(cancellationToken);
        try
        {
            await _sizer.GrowAsync(target, cancellationToken);
        }
        finally
        {
            _growing.Release();
        }
    }

    /// <summary>Gives back what the VM has beyond <paramref name="target"/> (<see cref="VmSizer.ShrinkAsync"/>); each device the guest kept is a warning that names it.</summary>
    public async Task ShrinkAsync(VmSize target, CancellationToken cancellationToken = default)
    {
        await _growing.WaitAsync(cancellationToken);
        try
        {
            await _sizer.ShrinkAsync(target, cancellationToken);
        }
        finally
        {
            _growing.Release();
        }
    }

    /// <summary>Pins the VM through its host cgroup (<see cref="HostCpuset.ApplyTo"/>).</summary>
    public void PinHostCpus(HostCpuset cpuset) => cpuset.ApplyTo(Cgroup);

    /// <summary>Stops the VM and removes the state directory. Safe to call more than once.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
            return;
        _client.Dispose();
        try
        {
            await Vm.StopAsync(cancellationToken);
        }
        finally
        {
            Network?.Detach();
            Cgroup?.Remove();
            RemoveState(Shared, StateDirectory, _log);
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>
    /// The shared directory's mounts are detached first; the state directory is then removed by
    /// descriptor, never crossing a mount (one left behind stops the removal and is logged).
    /// </summary>
    private static void RemoveState(SharedDirectory? shared, string stateDirectory, ILogger log)
    {
        try
        {
            shared?.Remove();
            PrivateFiles.RemoveTree(stateDirectory);
        }
        catch (IOException e)
        {
            log.LogWarning("removing the state directory {Directory}: {Error}", stateDirectory, e.Message);
        }
    }
}
