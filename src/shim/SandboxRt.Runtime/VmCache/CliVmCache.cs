using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using SandboxRt.Interop;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Core;
using SandboxRt.Runtime.State;
using SandboxRt.Runtime.Storage;

namespace SandboxRt.Runtime.VmCache;

/// <summary>
/// The CLI's side of its VM cache (vm_cache_number; the entries themselves: <see cref="CliVmCacheEntry"/>):
/// which containers can take a cached VM, taking one, finding a container's cached VM again, removing
/// one, and topping the cache up. Entries are records of the --root store (ids starting with
/// <see cref="EntryIdPrefix"/>), so that a claimed entry is, to every later CLI call, the sandbox the
/// container joined (Record.JoinedSandbox), as with docker run --network container:X.
/// </summary>
public static class CliVmCache
{
    public const string EntryIdPrefix = "sandboxrt-vm-cache-";
    private const string ClaimSocketName = "claim.sock";
    private const string TopUpLockId = "sandboxrt-vm-cache";
    /// <summary>How long a claim's first step may take: the entry records the container and moves the VM's cgroup meanwhile.</summary>
    private static readonly TimeSpan ClaimTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Where an entry is claimed: made only once its VM is warm, so that its presence means "ready".</summary>
    public static string ClaimSocket(string stateDirectory) => Path.Combine(SocketDirectory.For(stateDirectory), ClaimSocketName);

    public static bool IsEntryId(string id) => id.StartsWith(EntryIdPrefix, StringComparison.Ordinal);

    /// <summary>
    /// Whether a container can take a cached VM: the cache is on, and a container with interfaces to mirror
    /// needs VMs that take NICs after their start (<see cref="Sandboxes.WarmSandbox.TakesNics"/>).
    /// </summary>
    /// <param name="networkWithInterfaces">The network namespace the VM would mirror when it has an interface to plug; else null.</param>
    public static bool Suits(HypervisorConfig config, string? networkWithInterfaces) =>
        config.VmCacheNumber > 0 && (networkWithInterfaces is null || Sandboxes.WarmSandbox.TakesNics(config));

    /// <summary>
    /// Offers the container to the ready entries of its configuration, oldest first, until one takes it.
    /// The container's record names the entry (JoinedSandbox) before the claim is sent, so that whatever
    /// happens next, `delete` finds the VM; a claim that got no clear answer may have taken the VM half-way,
    /// and that entry is removed. Null: none was ready, or none took it (the caller starts a VM of its own).
    /// The entry plugs the claim's network namespace in only when asked, through what this returns.
    /// </summary>
    public static async Task<CachedVmClaim?> TryClaimAsync(StateStore store, ContainerRecord record, CliVmCacheClaim claim, HypervisorConfig config, ILogger log)
    {
        var key = VmCacheKey.For(config);
        var message = JsonSerializer.Serialize(claim, Relay.RelayJsonContext.Default.CliVmCacheClaim);
        foreach (var (entryId, _) in Entries(store).Where(e => e.Record.VmCacheKey == key && e.Record.ClaimedBy is null).OrderBy(e => e.Record.Created))
        {
            var socketPath = ClaimSocket(store.Directory(entryId));
            if (!File.Exists(socketPath))
                continue; // still warming up
            record.JoinedSandbox = entryId;
            store.Save(record);
            string? answer = null;
            ClaimConnection? connection = null;
            try
            {
                connection = await ConnectAsync(socketPath);
                using var timeout = new CancellationTokenSource(ClaimTimeout);
                await connection.WriteLineAsync(message, timeout.Token);
                answer = await connection.ReadLineAsync(timeout.Token);
            }
            catch (Exception e) when (e is SocketException or IOException or InvalidDataException or OperationCanceledException)
            {
                log.LogDebug("VM cache entry {Entry}: {Error}", entryId, e.Message);
            }
            if (answer == "ok")
                return new CachedVmClaim(entryId, connection!);
            connection?.Dispose();
            log.LogDebug("VM cache entry {Entry} did not take container {Id}: {Answer}", entryId, record.Id, answer is null or "" ? "no answer" : answer);
            // an entry that began taking this container (and failed, died or went silent) is no one's now
            if (Load(store, entryId) is { } entry && entry.ClaimedBy == record.Id)
                await RemoveEntryAsync(store, entryId, config);
            record.JoinedSandbox = null;
            store.Save(record);
        }
        return null;
    }

    /// <summary>What a claimant sends, after its claim was taken, for the entry to plug the claim's network namespace in.</summary>
    public const string NetworkRequest = "network";

    private static async Task<ClaimConnection> ConnectAsync(string socketPath)
    {
        using var timeout = new CancellationTokenSource(ClaimTimeout);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), timeout.Token);
            return new ClaimConnection(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The entry whose VM container <paramref name="record"/> took, when it took one: its JoinedSandbox
    /// names an entry that names it back. Null for any other container.
    /// </summary>
    public static string? ClaimedEntry(StateStore store, ContainerRecord record) =>
        record.JoinedSandbox is { } sandbox && IsEntryId(sandbox) && Load(store, sandbox) is { VmCacheKey: not null } entry && entry.ClaimedBy == record.Id
            ? sandbox
            : null;

    /// <summary>The state directory of the sandbox a container runs in: its own, or that of the entry whose VM it took.</summary>
    public static string SandboxDirectory(StateStore store, ContainerRecord record) =>
        store.Directory(ClaimedEntry(store, record) ?? record.Id);

    /// <summary>Removes an entry from its records (SandboxRemains: its process, VM, virtiofsd, taps, cgroup, directories), then its lock.</summary>
    /// <param name="servers">
    /// The claiming container's relays: they are in the cgroup the entry's removal removes (create put the
    /// relay beside the VM), so they go first, with the entry's process.
    /// </param>
    public static async Task RemoveEntryAsync(StateStore store, string entryId, HypervisorConfig config, IReadOnlyList<ProcessIdentity?>? servers = null)
    {
        using (store.Lock(entryId))
        {
            if (Load(store, entryId) is { } entry)
                await SandboxRemains.RemoveAsync(store.Directory(entryId), entry.Hypervisor, entry.Virtiofsd, TimeSpan.FromSeconds(config.ShutdownGraceSeconds),
                    [entry.Relay, .. servers ?? []]);
        }
        store.ForgetLock(entryId);
    }

    /// <summary>
    /// Starts entries until vm_cache_number of this configuration are alive and unclaimed, after removing
    /// what dead ones left that no container's record names. Under the cache's lock, so that creates at once do not each start the
    /// whole number. A failure is the caller's to log: the container it follows was created.
    /// </summary>
    /// <param name="globalArguments">The CLI call's global flags (--root, --config...): the entries get the same, but a log of their own.</param>
    public static async Task TopUpAsync(StateStore store, HypervisorConfig config, IReadOnlyList<string> globalArguments)
    {
        if (config.VmCacheNumber <= 0)
            return;
        var key = VmCacheKey.For(config);
        using var held = store.Lock(TopUpLockId);
        int alive = 0;
        foreach (var (entryId, entry) in Entries(store))
        {
            if (entry.ClaimedBy is { } owner)
            {
                // a container's: its delete removes it, unless the entry died taking it and the container's record does not name it
                if (entry.Relay is { IsAlive: true } || Load(store, owner)?.JoinedSandbox == entryId)
                    continue;
                await RemoveEntryAsync(store, entryId, config);
                continue;
            }
            if (entry.Relay is { IsAlive: true })
            {
                if (entry.VmCacheKey == key)
                    alive++;
                continue; // another configuration's: it ends at its idle timeout
            }
            await RemoveEntryAsync(store, entryId, config);
        }
        for (int i = alive; i < config.VmCacheNumber; i++)
            Spawn(store, key, globalArguments);
    }

    /// <summary>
    /// Starts an entry: its record is written here, under its lock, with the entry's process as its relay,
    /// before the entry reads it; the entry logs to relay.log in its state directory.
    /// </summary>
    private static void Spawn(StateStore store, string key, IReadOnlyList<string> globalArguments)
    {
        var id = EntryIdPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var binary = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find the sandboxrt binary to start a VM cache entry");
        using var held = store.Lock(id);
        var directory = store.Directory(id);
        PrivateFiles.CreateDirectory(directory);
        var arguments = new List<string>();
        for (int i = 0; i < globalArguments.Count; i++)
        {
            if (globalArguments[i] == "--log" && i + 1 < globalArguments.Count)
            {
                i++; // the container's log is not the entry's
                continue;
            }
            arguments.Add(globalArguments[i]);
        }
        using var devNull = FileDescriptors.Open("/dev/null", FileDescriptors.ReadWrite);
        int pid = ProcessSpawner.Spawn(new SpawnOptions
        {
            Path = binary,
            Arguments = [binary, "--log", Path.Combine(directory, "relay.log"), .. arguments, CacheEntryVerb, "--id", id],
            Descriptors = [(devNull, 0), (devNull, 1), (devNull, 2)],
            NewSession = true,
            WorkingDirectory = "/",
        });
        store.Save(new ContainerRecord { Id = id, VmCacheKey = key, Relay = ProcessIdentity.Of(pid) });
    }

    /// <summary>The CLI verb an entry runs (hidden from --help).</summary>
    public const string CacheEntryVerb = "vm-cache-entry";

    /// <summary>The records of the store's entries (claimed or not); an unreadable one is skipped.</summary>
    private static List<(string Id, ContainerRecord Record)> Entries(StateStore store) =>
        store.Ids().Where(IsEntryId).Select(id => (id, Record: Load(store, id))).Where(e => e.Record?.VmCacheKey is not null)
            .Select(e => (e.id, e.Record!)).ToList();

    private static ContainerRecord? Load(StateStore store, string id)
    {
        try
        {
            return store.Load(id);
        }
        catch (Exception e) when (e is ContainerNotFoundException or InvalidDataException or IOException)
        {
            return null;
        }
    }
}
