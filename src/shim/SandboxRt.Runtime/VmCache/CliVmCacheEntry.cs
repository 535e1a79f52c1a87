// A CLI VM cache entry (vm_cache_number, as the shim's: Cache/VmCacheEntry.cs there): the process that
// starts a container's VM before there is a container, `sandboxrt vm-cache-entry --id ID`, spawned by
// create's top-up (CliVmCache.TopUpAsync) with its record already written.
//
// The entry is a sandbox with no container in the --root store: its record (VmCacheKey set, hidden from
// `list`) names this process as the relay and the VM's processes as any container's record does. It
// starts its sandbox at the lowest priority in a cgroup of its own (/sandboxrt-vm-cache/ID), serves the
// agent on its proxy socket as a relay does, builds and removes one container (WarmSandbox.WarmUpAsync),
// and only then makes its claim socket.
//
// A container's relay claims it in two steps over one connection to claim.sock (lines: ClaimConnection).
//   1. The claim, sent while the container's prestart hooks run (Relay/ContainerHost.cs): the container's
//      record names the entry (JoinedSandbox) before it is sent, and it must come from that record's relay
//      (SO_PEERCRED). The entry records who took it (ClaimedBy), gives the VM its priority back, moves the
//      VM, virtiofsd and itself into the container's cgroup, and answers "ok". From then on the container
//      is one that joined the entry's sandbox (Sandboxes/JoinedSandbox.cs): the relay grows the VM by the
//      container's limits and creates the container through the entry's proxy socket, and `delete` of the
//      container removes the entry with it (Lifecycle/DeleteOperation.cs). A first step that fails
//      half-way stops the entry and everything it made; the relay then starts a VM of its own.
//   2. "network", sent once the hooks have ended (Docker's libnetwork-setkey has then put the veth into
//      the relay's namespace): the entry hot-plugs the namespace's interfaces as NICs
//      (Sandbox.AttachNetworkAsync) and answers. From here on a failure fails the container's create,
//      whose clean-up removes the entry. It then follows the namespace for the container, as a relay
//      whose VM is its own does (Relay/NetworkFollower.cs: docker network connect and disconnect).
//
// An entry no container claims ends after vm_cache_idle_seconds, when its VM dies, or on SIGTERM/SIGINT,
// and removes everything it made; a killed one is removed by the next top-up.
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using SandboxRt.Interop;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.HostCgroups;
using SandboxRt.Runtime.Relay;
using SandboxRt.Runtime.Sandboxes;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.VmCache;

public static class CliVmCacheEntry
{
    /// <summary>How long a claimant has to send its claim.</summary>
    private static readonly TimeSpan ClaimReadTimeout = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(StateStore store, string id, HypervisorConfig config, ILogger log)
    {
        if (!CliVmCache.IsEntryId(id))
            throw new ArgumentException($"--id {id}: not a VM cache entry's id");
        ContainerRecord record;
        using (store.Lock(id))
            record = store.Load(id);
        if (record.VmCacheKey is null || record.Relay?.Pid != Environment.ProcessId)
            throw new InvalidOperationException($"{id}: its record was not written for this process");
        var directory = store.Directory(id);

        using var stopping = new CancellationTokenSource();
        string why = "";
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; why = "SIGTERM"; stopping.Cancel(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; why = "SIGINT"; stopping.Cancel(); });
        // the entry idles until a container comes, and then for the container's life
        using var trim = new IdleHeapTrim();
        Sandbox? sandbox = null;
        IAsyncDisposable? proxy = null;
        bool claimed = false;
        try
        {
            // the lowest priority until a claim (WarmSandbox.Prioritise): its start takes CPU from the container whose create spawned it
            ChildProcesses.SetNiceAllThreads(Environment.ProcessId, WarmSandbox.WaitingNice);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            sandbox = await Sandbox.StartAsync(new SandboxStartOptions(id, store.Root, WarmSandbox.Waiting(config))
            {
                WithSharedDirectory = true,
                StateDirectoryExists = true,
                CgroupsPath = WarmSandbox.WaitingCgroup(id),
                Launched = vm =>
                {
                    record.Hypervisor = ProcessIdentity.Of(vm.Pid);
                    record.Virtiofsd = vm.HelperPids.Select(ProcessIdentity.Of).FirstOrDefault();
                    store.Save(record);
                },
            }, log, stopping.Token);
            proxy = await sandbox.ServeAgentAsync(AgentEndpoints.ProxySocket(directory), log);
            var started = watch.Elapsed;
            await WarmSandbox.WarmUpAsync(sandbox, config, directory, log, stopping.Token);
            log.LogInformation("VM cache entry {Entry}: ready (VM {How} in {Start} ms, warmed in {Warm} ms, hypervisor pid {Pid})", id,
                sandbox.Vm.Start.FromTemplate ? "restored" : "booted", (int)started.TotalMilliseconds, (int)(watch.Elapsed - started).TotalMilliseconds, sandbox.Vm.Pid);

            if (await WaitForClaimAsync(store, record, sandbox, config, log, stopping.Token, w => why = w) is var (connection, claim))
            {
                claimed = true;
                using (connection)
                    await AttachNetworkWhenAskedAsync(connection, record, sandbox, claim, log, stopping.Token);
                // the container's now: this process serves its agent until `delete` stops the VM
                await Task.WhenAny(sandbox.Vm.Exited, Task.Delay(Timeout.Infinite, stopping.Token).ContinueWith(_ => { }, TaskScheduler.Default));
                log.LogInformation("VM cache entry {Entry}: ending ({Why})", id, sandbox.Vm.Exited.IsCompleted ? "its VM stopped" : why);
                return 0;
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            why = e.Message;
            log.LogError("VM cache entry {Entry}: {Error}", id, e.ToString());
        }
        finally
        {
            if (proxy is not null)
                await proxy.DisposeAsync();
            if (sandbox is not null)
            {
                if (!claimed)
                    await sandbox.StopAsync(); // its VM, taps, cgroup and state directory (the record with it)
                else
                    sandbox.Agent.Dispose(); // the VM is the container's: its delete stops it
            }
        }
        if (claimed)
            return 0;
        log.LogInformation("VM cache entry {Entry}: ending unclaimed: {Why}", id, why);
        // what a sandbox that never started, or one stopped above, may have left: nothing runs in it now
        Storage.SharedDirectory.RemoveFrom(directory);
        Storage.PrivateFiles.RemoveTree(directory);
        Storage.SocketDirectory.Remove(directory);
        store.ForgetLock(id);
        return 1;
    }

    /// <summary>
    /// Listens for claims until one is taken (its connection and claim, answered "ok"), or the entry ends
    /// unclaimed (null): idle timeout, its VM's end, a signal, a failed claim.
    /// </summary>
    private static async Task<(ClaimConnection Connection, CliVmCacheClaim Claim)?> WaitForClaimAsync(StateStore store, ContainerRecord record, Sandbox sandbox,
        HypervisorConfig config, ILogger log, CancellationToken stopping, Action<string> ended)
    {
        var path = CliVmCache.ClaimSocket(store.Directory(record.Id));
        using var claims = WarmSandbox.ListenForClaims(path);
        try
        {
            record.Status = ContainerStatus.Created; // ready: what a test or an operator looks for in state.json
            store.Save(record);
            using var idle = WarmSandbox.IdleLimit(config, stopping);
            while (true)
            {
                if (await WarmSandbox.NextClaimAsync(claims, sandbox, idle) is not { } socket)
                {
                    ended(stopping.IsCancellationRequested ? "a signal" : await WarmSandbox.UnclaimedReasonAsync(sandbox, config, "container"));
                    return null;
                }
                var connection = new ClaimConnection(socket);
                var claim = await ReadClaimAsync(connection, store, record, log, stopping);
                if (claim is null)
                {
                    connection.Dispose();
                    continue;
                }
                try
                {
                    await AdoptAsync(store, record, sandbox, claim, config, log);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // half-adopted (recorded, moved): no container may take it now
                    ended($"container {claim.Container}'s claim failed: {e.Message}");
                    await AnswerAsync(connection, "no: " + e.Message);
                    connection.Dispose();
                    return null;
                }
                await AnswerAsync(connection, "ok");
                log.LogInformation("VM cache entry {Entry}: claimed by container {Container}", record.Id, claim.Container);
                return (connection, claim);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Reads and checks one claim: null (answered "no: ...") keeps the entry waiting.</summary>
    private static async Task<CliVmCacheClaim?> ReadClaimAsync(ClaimConnection connection, StateStore store, ContainerRecord record, ILogger log,
        CancellationToken stopping)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(ClaimReadTimeout);
        try
        {
            var peer = PeerCredentials.Read(connection.Socket);
            var message = await connection.ReadLineAsync(timeout.Token) ?? throw new InvalidDataException("no claim");
            var claim = JsonSerializer.Deserialize(message, RelayJsonContext.Default.CliVmCacheClaim) ?? throw new InvalidDataException("an empty claim");
            ContainerId.Validate(claim.Container);
            if (CliVmCache.IsEntryId(claim.Container))
                throw new InvalidDataException($"{claim.Container} is a VM cache entry, not a container");
            var container = store.Load(claim.Container);
            if (container.Relay is not { IsAlive: true } relay || relay.Pid != peer.Pid)
                throw new InvalidDataException($"the claim for container {claim.Container} did not come from its relay (peer {peer})");
            if (container.JoinedSandbox != record.Id)
                throw new InvalidDataException($"container {claim.Container}'s record does not name entry {record.Id}");
            if (claim.NetworkNamespace is { } netns && !Path.IsPathFullyQualified(netns))
                throw new InvalidDataException($"network namespace {netns}: not an absolute path");
            return claim;
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            log.LogWarning("VM cache entry {Entry}: refused a claim: none came within {Seconds} s", record.Id, ClaimReadTimeout.TotalSeconds);
            await AnswerAsync(connection, $"no: no claim within {ClaimReadTimeout.TotalSeconds} s");
            return null;
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or JsonException or SocketException or IOException or ContainerNotFoundException)
        {
            log.LogWarning("VM cache entry {Entry}: refused a claim: {Error}", record.Id, e.Message);
            await AnswerAsync(connection, "no: " + e.Message);
            return null;
        }
    }

    /// <summary>
    /// The VM becomes the container's: recorded first (so that the container's delete removes the entry
    /// whatever happens next), then its priority, its cgroup (with this process, which serves it). Its
    /// NICs come later, when the claimant asks (<see cref="AttachNetworkWhenAskedAsync"/>).
    /// </summary>
    private static async Task AdoptAsync(StateStore store, ContainerRecord record, Sandbox sandbox, CliVmCacheClaim claim, HypervisorConfig config, ILogger log)
    {
        if (sandbox.Vm.Exited.IsCompleted)
            throw new InvalidOperationException($"the cached VM has stopped ({await sandbox.Vm.Exited})");
        record.ClaimedBy = claim.Container;
        record.Status = ContainerStatus.Running;
        store.Save(record);
        WarmSandbox.Prioritise(sandbox, config, log);
        if (claim.CgroupsPath is { } cgroupsPath)
        {
            sandbox.MoveToCgroup(cgroupsPath);
            // last: a failure before leaves this process out of the cgroup the stopping sandbox removes
            foreach (var directory in sandbox.Cgroup!.Directories)
                HostCgroup.JoinOne(directory, Environment.ProcessId);
        }
    }

    /// <summary>
    /// The claim's second step: once the claimant's prestart hooks have put the interfaces into the network
    /// namespace, it sends "network", and the entry hot-plugs them (Sandbox.AttachNetworkAsync) and answers.
    /// A claimant that goes away first (its hooks failed, it was killed), or a failed attach, leaves the
    /// VM claimed: the container's clean-up (create's, or delete) removes the entry with it.
    /// </summary>
    private static async Task AttachNetworkWhenAskedAsync(ClaimConnection connection, ContainerRecord record, Sandbox sandbox, CliVmCacheClaim claim,
        ILogger log, CancellationToken stopping)
    {
        // not ended by the VM's end: the claimant's attach then fails, or the claimant goes away
        string? request;
        try
        {
            request = await connection.ReadLineAsync(stopping);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or InvalidDataException)
        {
            request = null;
        }
        if (request != CliVmCache.NetworkRequest)
        {
            log.LogWarning("VM cache entry {Entry}: container {Container}'s relay did not ask for its network ({What}); the container's clean-up removes the VM",
                record.Id, claim.Container, request is null ? "it went away" : "it sent something else");
            return;
        }
        try
        {
            if (claim.NetworkNamespace is { } netns)
                await sandbox.AttachNetworkAsync(netns, claim.OwnNetwork, stopping);
        }
        catch (Exception e)
        {
            log.LogError("VM cache entry {Entry}: plugging container {Container}'s network in failed: {Error}", record.Id, claim.Container, e.Message);
            await AnswerAsync(connection, "no: " + e.Message);
            return;
        }
        await AnswerAsync(connection, "ok");
        // docker network connect and disconnect: the entry holds the VM, so it follows the namespace (Relay/NetworkFollower.cs)
        try
        {
            NetworkFollower.Start(sandbox, claim.Container, log);
        }
        catch (Exception e) when (e is SyscallException or IOException or ArgumentException)
        {
            log.LogError("VM cache entry {Entry}: container {Container}'s network namespace cannot be followed: {Error}", record.Id, claim.Container, e.Message);
        }
    }

    private static async Task AnswerAsync(ClaimConnection connection, string answer)
    {
        try
        {
            using var timeout = new CancellationTokenSource(ClaimReadTimeout);
            await connection.WriteLineAsync(answer, timeout.Token);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // the claimant has gone: it treats no answer as a refusal (and removes an entry it may have half-claimed)
        }
    }
}
