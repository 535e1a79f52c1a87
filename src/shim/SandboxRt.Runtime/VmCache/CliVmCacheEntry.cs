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
// A container's relay claims it after the prestart hooks (Docker's libnetwork-setkey has configured the
// relay's network namespace by then): its record names the entry (JoinedSandbox) before it sends the
// claim, and the claim must come from that record's relay (SO_PEERCRED). The entry then records who took
// it (ClaimedBy), gives the VM its priority back, moves the VM, virtiofsd and itself into the container's
// cgroup, hot-plugs the namespace's taps as NICs (Sandbox.AttachNetworkAsync), and answers "ok". From
// then on the container is one that joined the entry's sandbox (Sandboxes/JoinedSandbox.cs): the relay
// grows the VM by the container's limits and creates the container through the entry's proxy socket,
// and `delete` of the container removes the entry with it (Lifecycle/DeleteOperation.cs). A claim that
// fails half-way stops the entry and everything it made; the relay then starts a VM of its own.
//
// An entry no container claims ends after vm_cache_idle_seconds, when its VM dies, or on SIGTERM/SIGINT,
// and removes everything it made; a killed one is removed by the next top-up.
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
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
    private const int MaxClaimBytes = 64 * 1024;
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
            await WarmSandbox.WarmUpAsync(sandbox, directory, log, stopping.Token);
            log.LogInformation("VM cache entry {Entry}: ready (VM {How} in {Start} ms, warmed in {Warm} ms, hypervisor pid {Pid})", id,
                sandbox.Vm.Start.FromTemplate ? "restored" : "booted", (int)started.TotalMilliseconds, (int)(watch.Elapsed - started).TotalMilliseconds, sandbox.Vm.Pid);

            claimed = await WaitForClaimAsync(store, record, sandbox, config, log, stopping.Token, w => why = w);
            if (claimed)
            {
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

    /// <summary>Listens for claims until one is taken (true), or the entry ends unclaimed: idle timeout, its VM's end, a signal, a failed claim.</summary>
    private static async Task<bool> WaitForClaimAsync(StateStore store, ContainerRecord record, Sandbox sandbox, HypervisorConfig config, ILogger log,
        CancellationToken stopping, Action<string> ended)
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
                if (await WarmSandbox.NextClaimAsync(claims, sandbox, idle) is not { } connection)
                {
                    ended(stopping.IsCancellationRequested ? "a signal" : await WarmSandbox.UnclaimedReasonAsync(sandbox, config, "container"));
                    return false;
                }
                using (connection)
                {
                    var claim = ReadClaim(connection, store, record, log);
                    if (claim is null)
                        continue;
                    try
                    {
                        await AdoptAsync(store, record, sandbox, claim, config, log, stopping);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        // half-adopted (moved, given NICs): no container may take it now
                        ended($"container {claim.Container}'s claim failed: {e.Message}");
                        Answer(connection, "no: " + e.Message);
                        return false;
                    }
                    Answer(connection, "ok");
                    log.LogInformation("VM cache entry {Entry}: claimed by container {Container}", record.Id, claim.Container);
                    return true;
                }
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Reads and checks one claim: null (answered "no: ...") keeps the entry waiting.</summary>
    private static CliVmCacheClaim? ReadClaim(Socket connection, StateStore store, ContainerRecord record, ILogger log)
    {
        connection.ReceiveTimeout = (int)ClaimReadTimeout.TotalMilliseconds;
        connection.SendTimeout = (int)ClaimReadTimeout.TotalMilliseconds;
        try
        {
            var peer = PeerCredentials.Read(connection);
            var message = new byte[MaxClaimBytes];
            int length = 0;
            while (true)
            {
                int n = connection.Receive(message, length, message.Length - length, SocketFlags.None);
                if (n == 0)
                    break;
                length += n;
                if (length == message.Length)
                    throw new InvalidDataException($"a claim longer than {MaxClaimBytes} bytes");
            }
            var claim = JsonSerializer.Deserialize(message.AsSpan(0, length), RelayJsonContext.Default.CliVmCacheClaim) ?? throw new InvalidDataException("an empty claim");
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
        catch (Exception e) when (e is InvalidDataException or ArgumentException or JsonException or SocketException or IOException or ContainerNotFoundException)
        {
            log.LogWarning("VM cache entry {Entry}: refused a claim: {Error}", record.Id, e.Message);
            Answer(connection, "no: " + e.Message);
            return null;
        }
    }

    /// <summary>
    /// The VM becomes the container's: recorded first (so that the container's delete removes the entry
    /// whatever happens next), then its priority, its cgroup (with this process, which serves it), its NICs.
    /// </summary>
    private static async Task AdoptAsync(StateStore store, ContainerRecord record, Sandbox sandbox, CliVmCacheClaim claim, HypervisorConfig config, ILogger log,
        CancellationToken cancellationToken)
    {
        if (sandbox.Vm.Exited.IsCompleted)
            throw new InvalidOperationException($"the cached VM has stopped ({await sandbox.Vm.Exited})");
        record.ClaimedBy = claim.Container;
        record.Status = ContainerStatus.Running;
        store.Save(record);
        WarmSandbox.Prioritise(sandbox, config, log);
        if (claim.CgroupsPath is { } cgroupsPath)
            sandbox.MoveToCgroup(cgroupsPath);
        if (claim.NetworkNamespace is { } netns)
            await sandbox.AttachNetworkAsync(netns, claim.OwnNetwork, cancellationToken);
        // last: a failure before leaves this process out of the cgroup the stopping sandbox removes
        if (claim.CgroupsPath is not null)
            foreach (var directory in sandbox.Cgroup!.Directories)
                HostCgroup.JoinOne(directory, Environment.ProcessId);
    }

    private static void Answer(Socket connection, string answer)
    {
        try
        {
            connection.Send(Encoding.UTF8.GetBytes(answer));
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // the claimant has gone: it treats no answer as a refusal (and removes an entry it may have half-claimed)
        }
    }
}
