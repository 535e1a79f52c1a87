// The host process that carries one runc-CLI container: the relay of `sandboxrt create`, or `sandboxrt
// run` itself. Both create the container the same way, through here, so that both run the host hooks and
// keep the state record `state`, `list`, `kill`, `exec` and `delete` work from:
//   record (this process as the container's stand-in pid) → prestart hooks (Docker's libnetwork-setkey
//   configures the namespace the VM then mirrors) → boot the sandbox, its pids recorded the moment the
//   hypervisor runs (a process killed during boot leaves a VM only the record leads delete to) →
//   createRuntime hooks → GuestContainer.CreateAsync, and beside it the proxy socket later CLI calls reach
//   the agent through → status "created". A VM that takes NICs after its start (a q35 template clone)
//   boots beside the prestart hooks instead, and its NICs are plugged once they have ended
//   (SandboxStartOptions.NetworkSettled): the hooks are a quarter of a second under Docker.
// With the CLI's VM cache (vm_cache_number) the relay claims a warm VM instead of booting one, and does it
// beside the prestart hooks, which take a quarter of a second under Docker: the claim, the growth and
// (when the spec allows: PendingNetwork.CanCreateBefore) the container's creation in the guest run while
// the hooks configure the namespace; the namespace's NICs are plugged once they have ended, before
// "created" (VmCache/CliVmCacheEntry.cs has the claim's two steps).
// A failure stops the sandbox before it is reported: nothing of the container is left but its record,
// which the caller removes.
using Microsoft.Extensions.Logging;
using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Containers;
using SandboxRt.Runtime.Core;
using SandboxRt.Runtime.Hooks;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.Sandboxes;
using SandboxRt.Runtime.State;
using SandboxRt.Runtime.VmCache;

namespace SandboxRt.Runtime.Relay;

public sealed class ContainerHost : IAsyncDisposable
{
    private readonly StateStore _store;
    private readonly ILogger _log;
    private IAsyncDisposable? _proxy;

    private ContainerHost(StateStore store, ContainerRecord record, IHostSandbox sandbox, GuestContainer container, IAsyncDisposable proxy, ILogger log)
    {
        _store = store;
        _log = log;
        _proxy = proxy;
        Record = record;
        Sandbox = sandbox;
        Container = container;
    }

    public ContainerRecord Record { get; }
    public IHostSandbox Sandbox { get; }
    public GuestContainer Container { get; }

    /// <summary>Where the sandbox's network comes from: a namespace made for this process (its own), one the spec names, or none.</summary>
    public sealed record NetworkChoice(string? Path, bool Own);

    /// <param name="startSandbox">How the sandbox starts: null for a VM (<see cref="Sandboxes.Sandbox.StartAsync"/>), or the unit tests' fake.</param>
    /// <param name="fromCache">Take a VM from the CLI's VM cache when the configuration has one and the container suits it (VmCache/CliVmCache.cs).</param>
    public static async Task<ContainerHost> CreateAsync(StateStore store, ContainerRecord record, Spec spec, HypervisorConfig config, NetworkChoice network,
        ILogger log, bool measureBoot = false, HostSandboxStarter? startSandbox = null, bool fromCache = false,
        CancellationToken cancellationToken = default)
    {
        startSandbox ??= async (options, logger, cancel) => await Sandboxes.Sandbox.StartAsync(options, logger, cancel);
        record.Relay = ProcessIdentity.Of(Environment.ProcessId);
        store.Save(record);
        var cgroupsPath = HostCgroups.CgroupsPath.Resolve(spec.Linux?.CgroupsPath);
        var prestart = HookRunner.RunAsync("prestart", spec.Hooks?.Prestart, OciStates.Of(record, ContainerStatus.Creating), cancellationToken);
        if (fromCache && config.VmCacheNumber > 0)
        {
            (JoinedSandbox Sandbox, Interop.FileLock Lock, CachedVmClaim Claim)? entry;
            try
            {
                // A VM that takes NICs after its start is claimed beside the hooks (Docker's libnetwork-setkey
                // is a quarter of a second under TCG); one that cannot takes only a namespace they left
                // without interfaces, so the hooks end first.
                if (!WarmSandbox.TakesNics(config))
                    await prestart;
                entry = await ClaimCachedAsync(store, record, config, network, cgroupsPath, log);
            }
            catch
            {
                await PendingNetwork.SettleAsync(prestart);
                throw;
            }
            if (entry is { } taken)
            {
                using var _ = taken.Lock;
                using var claim = taken.Claim;
                return await CreateInAsync(store, record, spec, taken.Sandbox, taken.Sandbox.Needed(), taken.Sandbox.NeededCpuset(), recordVm: false, network.Own, log, cancellationToken,
                    new PendingNetwork(prestart, claim.AttachNetworkAsync));
            }
        }
        // A VM that takes NICs after its start (a q35 clone) starts beside the prestart hooks, which
        // configure the namespace meanwhile, and gets the namespace's NICs once they have ended
        // (SandboxStartOptions.NetworkSettled); for any other VM the hooks end first.
        bool beside = network.Path is not null && spec.Hooks?.Prestart is { Count: > 0 } && WarmSandbox.TakesNics(config);
        if (!beside)
            await prestart;
        // the VM is the default plus the limits: booted at the default and grown by hot-plug where the
        // hypervisor can (as a pod grows), since only hot-plugged vCPUs and memory can go when `update` lowers them
        var size = VmSize.For(spec, config);
        var cpuset = HostCgroups.HostCpuset.ForPod([spec.Linux?.Resources]);
        var boot = HypervisorFactory.Driver(config.Hypervisor).CanResize(config) ? VmSize.For((LinuxResources?)null, config) : size;
        IHostSandbox sandbox;
        try
        {
            sandbox = await startSandbox(new SandboxStartOptions(record.Id, store.Root, config)
            {
                Launched = vm => RecordVm(store, record, vm.Pid, vm.HelperPids),
                Vcpus = boot.Vcpus,
                MemoryMib = boot.MemoryMib,
                WithSharedDirectory = true,
                StateDirectoryExists = true,
                NetworkNamespace = network.Path,
                NetworkNamespaceIsOwn = network.Own,
                NetworkSettled = beside ? prestart : null,
                MeasureBoot = measureBoot,
                CgroupsPath = cgroupsPath,
                HostCpuset = cpuset,
            }, log, cancellationToken);
        }
        catch
        {
            await PendingNetwork.SettleAsync(prestart); // a failed create leaves no hook running
            throw;
        }
        if (beside)
        {
            try
            {
                await prestart; // ended already where the sandbox waited for it
            }
            catch
            {
                await sandbox.StopAsync(CancellationToken.None);
                throw;
            }
        }
        return await CreateInAsync(store, record, spec, sandbox, size, cpuset, recordVm: true, network.Own, log, cancellationToken);
    }

    /// <summary>
    /// A VM from the CLI's VM cache for the container, claimed and opened as the sandbox it joins, under the
    /// entry's lock (held until the container is created, as for any join); its NICs come when the claim
    /// asks for them. Null when the container does not suit the cache (a network to mirror into VMs that
    /// take no NICs), no entry was ready, or the entry taken cannot be opened (it is removed then, with a
    /// warning): the caller starts a VM of its own.
    /// </summary>
    private static async Task<(JoinedSandbox Sandbox, Interop.FileLock Lock, CachedVmClaim Claim)?> ClaimCachedAsync(StateStore store, ContainerRecord record,
        HypervisorConfig config, NetworkChoice network, string? cgroupsPath, ILogger log)
    {
        string? plugged = null;
        try
        {
            if (!WarmSandbox.TakesNics(config) && network.Path is { } netns && Network.PodNetwork.HasInterfaces(netns))
                plugged = netns;
        }
        catch (Exception e) when (e is Interop.SyscallException or IOException or UnauthorizedAccessException)
        {
            return null; // the VM of its own reports what is wrong with the namespace
        }
        if (!CliVmCache.Suits(config, plugged))
            return null;
        var request = new CliVmCacheClaim { Container = record.Id, NetworkNamespace = network.Path, OwnNetwork = network.Own, CgroupsPath = cgroupsPath };
        if (await CliVmCache.TryClaimAsync(store, record, request, config, log) is not { } claim)
            return null;
        var held = store.Lock(claim.EntryId);
        try
        {
            var sandbox = JoinedSandbox.Open(store, claim.EntryId, record.Id, config, log);
            log.LogDebug("container {Id}: VM from the cache (entry {Entry}, hypervisor pid {Pid})", record.Id, claim.EntryId, sandbox.VmPid);
            return (sandbox, held, claim);
        }
        catch (Exception e) when (e is InvalidOperationException or ContainerNotFoundException or IOException or Interop.SyscallException)
        {
            held.Dispose();
            claim.Dispose();
            log.LogWarning("container {Id}: not using the cached VM of entry {Entry}: {Error}; starting a VM of its own", record.Id, claim.EntryId, e.Message);
            await CliVmCache.RemoveEntryAsync(store, claim.EntryId, config);
            record.JoinedSandbox = null;
            store.Save(record);
            return null;
        }
    }

    /// <summary>
    /// The container joins the running sandbox of container <paramref name="sandboxId"/>, whose network
    /// namespace its spec names (docker run --network container:ID; Network/NetworkJoin.cs): it is created
    /// in that container's VM (Sandboxes/JoinedSandbox.cs), which grows by its limits.
    /// </summary>
    public static async Task<ContainerHost> JoinAsync(StateStore store, ContainerRecord record, Spec spec, HypervisorConfig config, string sandboxId,
        ILogger log, CancellationToken cancellationToken = default)
    {
        record.Relay = ProcessIdentity.Of(Environment.ProcessId);
        // docker run --pid container:Z (Z in this VM): Z's namespace in the guest (as create checked it)
        Network.NamespaceShare.Apply(spec, Network.NamespaceShare.Find(store, spec, sandboxId, exceptId: record.Id));
        // X's VM came from the VM cache: the sandbox to join is the entry's, as X's own record says
        sandboxId = CliVmCache.ClaimedEntry(store, store.Load(sandboxId)) ?? sandboxId;
        record.JoinedSandbox = sandboxId;
        store.Save(record);
        await HookRunner.RunAsync("prestart", spec.Hooks?.Prestart, OciStates.Of(record, ContainerStatus.Creating), cancellationToken);
        // one join (or update) of the sandbox at a time: each sizes the VM from the others' records
        using var _ = store.Lock(sandboxId);
        var sandbox = JoinedSandbox.Open(store, sandboxId, record.Id, config, log);
        log.LogDebug("container {Id}: joins the sandbox of container {Sandbox} (its network namespace)", record.Id, sandboxId);
        return await CreateInAsync(store, record, spec, sandbox, sandbox.Needed(), sandbox.NeededCpuset(), recordVm: false, networkMirrored: false, log, cancellationToken);
    }

    /// <summary>
    /// The sandbox is there: the proxy, the growth to <paramref name="size"/>, the host CPUs it runs on
    /// (<paramref name="cpuset"/>: the container's, or the union of all in a shared VM), the createRuntime hooks,
    /// the container, and the record's "created". A failure stops the sandbox (for a joined one: removes
    /// what this container added to it).
    /// </summary>
    /// <param name="network">
    /// For a cached VM claimed beside the prestart hooks: their end and the NICs, awaited before the
    /// container's creation, or after it when nothing in the spec needs them first (PendingNetwork).
    /// </param>
    private static async Task<ContainerHost> CreateInAsync(StateStore store, ContainerRecord record, Spec spec, IHostSandbox sandbox, VmSize size,
        HostCgroups.HostCpuset cpuset, bool recordVm, bool networkMirrored, ILogger log, CancellationToken cancellationToken, PendingNetwork? network = null)
    {
        Task<IAsyncDisposable>? proxy = null;
        bool createFirst = network is not null && PendingNetwork.CanCreateBefore(spec);
        try
        {
            // the proxy starts beside the growth and the container's creation (Kestrel's start is off the critical path)
            proxy = sandbox.ServeAgentAsync(AgentEndpoints.ProxySocket(sandbox.StateDirectory), log);
            // the host CPUs first: a list the host has not fails the create before the VM grows for it (VmSize counts its CPUs)
            sandbox.PinHostCpus(cpuset);
            await sandbox.GrowAsync(size, cancellationToken);
            if (recordVm)
                RecordVm(store, record, sandbox.VmPid, sandbox.HelperPids);
            if (network is not null && !createFirst)
                await network.CompleteAsync(cancellationToken);
            // createRuntime hooks once the runtime environment, the VM, exists (runc: after making the namespaces)
            await HookRunner.RunAsync("createRuntime", spec.Hooks?.CreateRuntime, OciStates.Of(record, ContainerStatus.Creating), cancellationToken);
            var container = await GuestContainer.CreateAsync(sandbox, new ContainerLaunch(record.Id, spec, record.Bundle) { NetworkMirrored = networkMirrored }, cancellationToken);
            if (createFirst)
                await network!.CompleteAsync(cancellationToken);
            if (sandbox.Network is { } mirrored)
                log.LogDebug("container {Id}: network namespace {Path} mirrored: {Interfaces}", record.Id, mirrored.NamespacePath,
                    mirrored.Interfaces.Count == 0 ? "no interface but loopback" : string.Join(", ", mirrored.Interfaces.Select(i => i.Name)));
            var host = new ContainerHost(store, record, sandbox, container, await proxy, log);
            record.GuestPid = container.GuestPid;
            record.Status = ContainerStatus.Created;
            store.Save(record);
            return host;
        }
        catch (Exception e)
        {
            // the caller reports the error itself; the guest's side of a guest's or hypervisor's failure is
            // only here (not for a program that cannot run, nor for the host's own refusals, such as CPUs
            // it has not: the error says all, as runc's does, and a console dump would bury it)
            if (e is AgentException { IsExecFailure: false } or HypervisorException)
                log.LogError("container {Id}: create failed; the guest console's last lines:\n{Console}", record.Id,
                    string.Join('\n', Diagnostics.LogTail.Read(sandbox.ConsoleLogPath, 25)));
            if (network is not null)
                await network.SettleAsync();
            if (proxy is not null)
                await StopProxyAsync(proxy);
            await sandbox.StopAsync(CancellationToken.None);
            throw;
        }
    }

    /// <summary>Records the container's end (its status, the OOM kill) unless delete removed the record meanwhile.</summary>
    public void RecordExit(ProcessExit exit)
    {
        if (exit.OomKilled)
            _log.LogWarning("container {Id} was killed by the out-of-memory killer", Record.Id);
        using (_store.Lock(Record.Id))
        {
            if (!_store.Exists(Record.Id))
                return;
            var latest = _store.Load(Record.Id);
            latest.Status = ContainerStatus.Stopped;
            latest.ExitStatus = exit.Status;
            latest.OomKilled = exit.OomKilled;
            _store.Save(latest);
        }
    }

    /// <summary>Stops serving the proxy socket and lets the agent go; the VM outlives this until delete (or <see cref="StopSandboxAsync"/>).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_proxy is not null)
            await _proxy.DisposeAsync();
        _proxy = null;
        Sandbox.Agent.Dispose();
    }

    /// <summary>Stops the VM and removes the sandbox's state directory (`sandboxrt run`, and a failed create).</summary>
    public async Task StopSandboxAsync()
    {
        await DisposeAsync();
        await Sandbox.StopAsync(CancellationToken.None);
    }

    /// <summary>After a failed create: the proxy goes once its start has ended, however it ended (the create's error is what is reported).</summary>
    private static async Task StopProxyAsync(Task<IAsyncDisposable> starting)
    {
        await ((Task)starting).ContinueWith(_ => { }, TaskScheduler.Default);
        if (starting.IsCompletedSuccessfully)
            await starting.Result.DisposeAsync();
    }

    private static void RecordVm(StateStore store, ContainerRecord record, int hypervisorPid, IReadOnlyList<int> helperPids)
    {
        record.Hypervisor = ProcessIdentity.Of(hypervisorPid);
        record.Virtiofsd = helperPids.Select(ProcessIdentity.Of).FirstOrDefault();
        store.Save(record);
    }
}
