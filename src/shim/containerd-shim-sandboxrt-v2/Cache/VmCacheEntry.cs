// A VM cache entry (Kata's vm_cache_number): a shim daemon that starts a pod's VM before there is a pod.
//
// Under TCG the first container a VM builds costs 0.3-0.4 s of first-time translation in the guest, on
// top of the VM's own start (docs/benchmarks.md, "Where a warm start's time goes"); a second container
// costs 30-50 ms. So an entry starts its sandbox (restored from the VM template when there is one) with
// a shared directory, in a cgroup of its own, builds one container (runc's default spec on an empty root
// file system: created, started, failing to exec, removed), and only then makes its claim socket: its
// existence is what tells `start` the entry is ready.
//
// `start` claims it for a new pod (VmCache.TryClaim): a message with what a daemon spawned for the pod
// would have had (VmCacheClaim) and, over SCM_RIGHTS, the pod's listening ttrpc socket. The entry checks
// the claim, answers "ok", and takes the pod only when `start` confirms with "go": a `start` that gave up
// waiting spawns a daemon of its own with that socket, and two daemons must never serve one socket. From
// then on it is the pod's shim daemon (ShimDaemon.ServeAsync) in the bundle's directory, logging to its
// `log` fifo. The pod's first container takes the warm VM (Adopt): the VM is grown to the pod's size,
// moved to the pod's cgroup (what it was charged until then stays where it was: cgroup v2 moves no
// charge), given the pod's network by NIC hot-plug (Sandbox.AttachNetworkAsync), and the pod record
// names the entry's sandbox directory, so that `delete` after a killed daemon finds it. When any of
// that fails the warm VM stops and the pod gets a new one, as without the cache; `start` does not claim
// for a pod with a network when the cached VMs cannot take NICs (VmCache.Suits).
//
// An entry no pod claims stops after vm_cache_idle_seconds, when its VM dies, or on SIGTERM/SIGINT, and
// removes everything it made. `start` removes what an entry that was killed left (VmCache.TopUp).
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using SandboxRt.Interop;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Containers;
using SandboxRt.Runtime.Core;
using SandboxRt.Runtime.Diagnostics;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.Sandboxes;
using SandboxRt.Runtime.State;
using SandboxRt.Runtime.Storage;
using SandboxRt.Shim.Cli;
using SandboxRt.Shim.Daemon;
using SandboxRt.Shim.Logging;

namespace SandboxRt.Shim.Cache;

internal static class VmCacheEntry
{
    private const int MaxClaimBytes = 64 * 1024;
    /// <summary>How long a claimant has to send its claim, and then its "go".</summary>
    private static readonly TimeSpan ClaimTimeout = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(ShimFlags flags)
    {
        var paths = VmCacheEntryPaths.Of(flags.VmCacheEntry)
            ?? throw new ArgumentException($"-vm-cache-entry {flags.VmCacheEntry}: not an entry directory under {VmCacheDirectory.Root}");
        var sink = ShimLogSink.OpenFile(paths.Log);
        var log = new LogrusLogger(line => Volatile.Read(ref sink).Write(line), json: false, debug: flags.Debug);
        IGuestSandbox? cached = null;
        bool claimedOnce = false;
        try
        {
            var config = HypervisorConfigLoader.Load(flags.Config.Length > 0 ? flags.Config : null);
            var record = new VmCacheRecord { Daemon = ProcessIdentity.Of(Environment.ProcessId), ShutdownGraceSeconds = config.ShutdownGraceSeconds };
            Save(paths, record);
            var claimed = await WaitForPodAsync(paths, config, record, log);
            if (claimed is null)
                return 0;
            var (claim, listener, sandbox) = claimed.Value;
            (cached, claimedOnce) = (sandbox, true);
            Volatile.Write(ref sink, ShimLogSink.Open(Path.Combine(claim.Bundle, "log"), ShimPaths.FallbackLog(Directory(claim))));
            Environment.CurrentDirectory = claim.Bundle;
            async Task<IGuestSandbox> Adopt(SandboxStartOptions options, ILogger podLog, CancellationToken cancellationToken) =>
                await AdoptAsync(Interlocked.Exchange(ref cached, null) as Sandbox, paths, options, podLog, cancellationToken);
            return await ShimDaemon.ServeAsync(new ShimServeOptions(claim.PodId, claim.Namespace, Directory(claim), ShimPaths.Socket(Directory(claim)), claim.EventsAddress, listener, config)
            {
                StartSandbox = Adopt,
                AfterStopAsync = async () =>
                {
                    if (Interlocked.Exchange(ref cached, null) is { } unused)
                        await unused.StopAsync(); // the pod ended before its first container
                    Remove(paths, log);
                },
            }, log);
        }
        catch (Exception e)
        {
            log.LogError("VM cache entry {Entry}: {Error}", paths.Name, e.ToString());
            if (Interlocked.Exchange(ref cached, null) is { } unused)
                await unused.StopAsync();
            // Before a claim nothing else knows the entry (WaitForPodAsync stopped its VM); after one, a VM the
            // pod took is the pod's: its record leads the shim's `delete` to the entry.
            if (!claimedOnce)
                Remove(paths, log);
            return 1;
        }
    }

    private static string Directory(VmCacheClaim claim) => ShimPaths.Directory(claim.Address, claim.Namespace, claim.PodId);

    /// <summary>Starts and warms the VM, then waits for a claim; null when the entry ended unclaimed (everything it made is removed).</summary>
    private static async Task<(VmCacheClaim Claim, Socket Listener, Sandbox Sandbox)?> WaitForPodAsync(VmCacheEntryPaths paths, HypervisorConfig config, VmCacheRecord record, ILogger log)
    {
        using var stopping = new CancellationTokenSource();
        string why = "";
        using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; why = "SIGTERM"; stopping.Cancel(); }))
        using (PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; why = "SIGINT"; stopping.Cancel(); }))
        {
            Sandbox? sandbox = null;
            // the entry idles until a pod comes: what starting and warming made the GC commit goes back then
            using var trim = new SandboxRt.Runtime.Relay.IdleHeapTrim();
            try
            {
                // An entry works at the lowest priority until a pod claims it (Prioritise): its start and warm-up
                // take CPU from whatever runs then (the pod whose start spawned it, first of all).
                ChildProcesses.SetNiceAllThreads(Environment.ProcessId, WarmSandbox.WaitingNice);
                var watch = System.Diagnostics.Stopwatch.StartNew();
                sandbox = await Sandbox.StartAsync(new SandboxStartOptions(paths.SandboxId, paths.Directory, WarmSandbox.Waiting(config))
                {
                    WithSharedDirectory = true,
                    CgroupsPath = WarmSandbox.WaitingCgroup(paths.Name),
                    Launched = vm =>
                    {
                        record.Hypervisor = ProcessIdentity.Of(vm.Pid);
                        record.Virtiofsd = vm.HelperPids.Select(ProcessIdentity.Of).FirstOrDefault();
                        Save(paths, record);
                    },
                }, log, stopping.Token);
                var started = watch.Elapsed;
                await WarmSandbox.WarmUpAsync(sandbox, config, paths.Directory, log, stopping.Token);
                log.LogInformation("VM cache entry {Entry}: ready (VM {How} in {Start} ms, warmed in {Warm} ms, hypervisor pid {Pid})", paths.Name,
                    sandbox.Vm.Start.FromTemplate ? "restored" : "booted", (int)started.TotalMilliseconds, (int)(watch.Elapsed - started).TotalMilliseconds, sandbox.Vm.Pid);

                using var claims = WarmSandbox.ListenForClaims(paths.ClaimSocket);
                using var idle = WarmSandbox.IdleLimit(config, stopping.Token);
                while (true)
                {
                    if (await WarmSandbox.NextClaimAsync(claims, sandbox, idle) is not { } connection)
                    {
                        why = why.Length > 0 ? why : await WarmSandbox.UnclaimedReasonAsync(sandbox, config, "pod");
                        break;
                    }
                    using (connection)
                    {
                        var taken = TakeClaim(connection, paths, record, log);
                        if (taken is not null)
                        {
                            WarmSandbox.Prioritise(sandbox, config, log);
                            File.Delete(paths.ClaimSocket);
                            log.LogInformation("VM cache entry {Entry}: claimed by pod {Pod} (namespace {Namespace})", paths.Name, taken.Value.Claim.PodId, taken.Value.Claim.Namespace);
                            var claimed = (taken.Value.Claim, taken.Value.Listener, sandbox);
                            sandbox = null;
                            return claimed;
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
            }
            finally
            {
                if (sandbox is not null)
                    await sandbox.StopAsync();
            }
            log.LogInformation("VM cache entry {Entry}: ending unclaimed: {Why}", paths.Name, why);
            Remove(paths, log);
            return null;
        }
    }

    /// <summary>Reads and checks one claim; answers "ok" and waits for "go". Null (the connection dropped, the claim refused) keeps the entry waiting.</summary>
    private static (VmCacheClaim Claim, Socket Listener)? TakeClaim(Socket connection, VmCacheEntryPaths paths, VmCacheRecord record, ILogger log)
    {
        connection.ReceiveTimeout = (int)ClaimTimeout.TotalMilliseconds;
        connection.SendTimeout = (int)ClaimTimeout.TotalMilliseconds;
        var fd = SafeFdHandle.Borrow((int)connection.Handle);
        SafeFdHandle? passed = null;
        try
        {
            var message = FdPassingSocket.Receive(fd, MaxClaimBytes, out passed);
            if (message is null)
                return null;
            var claim = Check(message, passed);
            FdPassingSocket.Send(fd, "ok"u8);
            var go = FdPassingSocket.Receive(fd, 16, out var stray);
            stray?.Dispose();
            if (go is null || Encoding.UTF8.GetString(go) != "go")
            {
                log.LogWarning("VM cache entry {Entry}: pod {Pod}'s start did not confirm its claim; still waiting for a pod", paths.Name, claim.PodId);
                return null;
            }
            record.Claimed = true;
            Save(paths, record);
            var listener = new Socket(new SafeSocketHandle(passed!.Release(), ownsHandle: true));
            passed = null;
            return (claim, listener);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or SyscallException or IOException or SocketException or JsonException)
        {
            log.LogWarning("VM cache entry {Entry}: refused a claim: {Error}", paths.Name, e.Message);
            try
            {
                FdPassingSocket.Send(fd, Encoding.UTF8.GetBytes("no: " + e.Message));
            }
            catch (Exception send) when (send is SyscallException or IOException)
            {
                // the claimant has gone: it treats no answer as a refusal
            }
            return null;
        }
        finally
        {
            passed?.Dispose();
        }
    }

    /// <summary>The claim, checked: only root reaches the socket (its directory is root's, 0700), but nothing it says is taken on trust.</summary>
    private static VmCacheClaim Check(byte[] message, SafeFdHandle? listener)
    {
        var claim = JsonSerializer.Deserialize(message, ShimJsonContext.Default.VmCacheClaim) ?? throw new InvalidDataException("an empty claim");
        ContainerId.Validate(claim.PodId);
        if (claim.Namespace.Length == 0 || claim.Address.Length == 0 || claim.EventsAddress.Length == 0)
            throw new InvalidDataException("a claim needs the namespace, containerd's address and its events address");
        if (!Path.IsPathFullyQualified(claim.Bundle) || !System.IO.Directory.Exists(claim.Bundle))
            throw new InvalidDataException($"bundle {claim.Bundle}: not an existing absolute directory");
        if (!System.IO.Directory.Exists(Directory(claim)))
            throw new InvalidDataException($"pod {claim.PodId}: its shim directory {Directory(claim)} does not exist (start makes it)");
        if (listener is null)
            throw new InvalidDataException("the claim came without the pod's listening socket");
        return claim;
    }

    /// <summary>
    /// The pod's VM: the warm one when the pod's first container suits it, grown to the pod's size and
    /// moved into the pod's cgroup; otherwise (or when that fails) the warm one stops and a new one starts.
    /// </summary>
    private static async Task<IGuestSandbox> AdoptAsync(Sandbox? cached, VmCacheEntryPaths paths, SandboxStartOptions options, ILogger log, CancellationToken cancellationToken)
    {
        if (cached is null)
            return await Sandbox.StartAsync(options, log, cancellationToken);
        string? why = cached.Vm.Exited.IsCompleted ? $"the cached VM has stopped ({await cached.Vm.Exited})"
            : options.InitrdOverride is not null ? "the pod asks for an initrd of its own"
            : null;
        if (why is null)
        {
            try
            {
                await cached.GrowAsync(new VmSize(options.Vcpus ?? options.Config.DefaultVcpus, options.MemoryMib ?? options.Config.DefaultMemoryMib), cancellationToken);
                if (options.CgroupsPath is { } cgroupsPath)
                    cached.MoveToCgroup(cgroupsPath);
                if (options.NetworkNamespace is { } netns)
                    await cached.AttachNetworkAsync(netns, options.NetworkNamespaceIsOwn, cancellationToken);
                options.Launched?.Invoke(cached.Vm);
                log.LogInformation("pod {Pod}: VM from the cache (entry {Entry}, hypervisor pid {Pid}, {Vcpus} vCPUs, {Memory} MiB)",
                    options.Id, paths.Name, cached.Vm.Pid, cached.Size.Vcpus, cached.Size.MemoryMib);
                return cached;
            }
            catch (Exception e) when (e is HypervisorException or AgentException or IOException or InvalidOperationException or UnauthorizedAccessException or ArgumentException)
            {
                why = $"taking it failed: {e.Message}";
            }
        }
        log.LogWarning("pod {Pod}: not using the cached VM (entry {Entry}): {Why}; starting a new one", options.Id, paths.Name, why);
        await cached.StopAsync(CancellationToken.None);
        return await Sandbox.StartAsync(options, log, cancellationToken);
    }

    private static void Save(VmCacheEntryPaths paths, VmCacheRecord record)
    {
        var temporary = paths.Record + ".tmp";
        PrivateFiles.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(record, ShimJsonContext.Default.VmCacheRecord));
        File.Move(temporary, paths.Record, overwrite: true);
    }

    /// <summary>Removes the entry's directory (by descriptor, crossing no mount: ShimDaemon.RemoveDirectory).</summary>
    private static void Remove(VmCacheEntryPaths paths, ILogger log) => ShimDaemon.RemoveDirectory(paths.Directory, log);
}
