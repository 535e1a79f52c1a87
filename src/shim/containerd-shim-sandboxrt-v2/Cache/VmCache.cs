using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using SandboxRt.Interop;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Containers;
using SandboxRt.Runtime.Core;
using SandboxRt.Runtime.Storage;
using SandboxRt.Shim.Cli;
using SandboxRt.Shim.Daemon;

namespace SandboxRt.Shim.Cache;

/// <summary>
/// `start`'s side of the VM cache (vm_cache_number; the entries themselves: <see cref="VmCacheEntry"/>):
/// whether a pod can take a cached VM, taking one, and topping the cache up.
/// </summary>
internal static class VmCache
{
    private static readonly TimeSpan ClaimTimeout = TimeSpan.FromSeconds(10);
    /// <summary>An entry directory that got no record in this long was never started (its spawn failed).</summary>
    private static readonly TimeSpan UnstartedEntry = TimeSpan.FromMinutes(2);

    /// <summary>
    /// A pod whose first container a cached VM can serve: any, except one whose spec names a network
    /// namespace to mirror when the cached VMs cannot take NICs (only q35 clones of a VM template have
    /// free root ports to hot-plug them into). A spec that does not load is not this code's to report:
    /// the daemon's create does.
    /// </summary>
    public static bool Suits(string bundle, HypervisorConfig config)
    {
        try
        {
            return BundleSpecRewriter.NetworkNamespacePath(SpecLoader.LoadBundle(bundle)) is null
                || Runtime.Sandboxes.WarmSandbox.TakesNics(config);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException or JsonException or SpecValidationException)
        {
            return false;
        }
    }

    /// <summary>
    /// Offers the pod to the ready entries, oldest first, until one takes it: that entry, which then serves
    /// <paramref name="listener"/>. Null: none was ready, or every one refused (the caller spawns a daemon).
    /// </summary>
    public static VmCacheEntryPaths? TryClaim(HypervisorConfig config, VmCacheClaim claim, SafeFdHandle listener)
    {
        var message = JsonSerializer.SerializeToUtf8Bytes(claim, ShimJsonContext.Default.VmCacheClaim);
        foreach (var entry in VmCacheDirectory.For(config).Entries())
        {
            if (!File.Exists(entry.ClaimSocket))
                continue; // still warming up, or claimed
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            {
                SendTimeout = (int)ClaimTimeout.TotalMilliseconds,
                ReceiveTimeout = (int)ClaimTimeout.TotalMilliseconds,
            };
            try
            {
                socket.Connect(new UnixDomainSocketEndPoint(entry.ClaimSocket));
                var fd = SafeFdHandle.Borrow((int)socket.Handle);
                FdPassingSocket.Send(fd, message, listener);
                var answer = FdPassingSocket.Receive(fd, 4096, out var stray);
                stray?.Dispose();
                if (answer is null || Encoding.UTF8.GetString(answer) != "ok")
                    continue;
                // Only after "go" does the entry serve the socket: without it (this start gave up) it drops its copy.
                FdPassingSocket.Send(fd, "go"u8);
                return entry;
            }
            catch (Exception e) when (e is SocketException or SyscallException or IOException)
            {
                // gone, busy with another claim, or too slow: the next one
            }
        }
        return null;
    }

    /// <summary>
    /// Starts entries until vm_cache_number are alive or warming up, after removing what dead ones left
    /// (their VM, virtiofsd, cgroup, shared directory: SandboxRemains). Under the cache's lock, so that
    /// starts of several pods at once do not each start the whole number.
    /// </summary>
    /// <param name="claimed">The entry this start just claimed: its record may not say so yet.</param>
    public static async Task TopUpAsync(HypervisorConfig config, string configPath, bool debug, VmCacheEntryPaths? claimed)
    {
        var cache = VmCacheDirectory.For(config);
        using var held = cache.Lock();
        int alive = 0;
        foreach (var entry in cache.Entries().Where(e => e != claimed))
        {
            var record = Load(entry);
            if (record is null)
            {
                if (DateTime.UtcNow - System.IO.Directory.GetCreationTimeUtc(entry.Directory) < UnstartedEntry)
                    alive++;
                else
                    PrivateFiles.RemoveTree(entry.Directory);
                continue;
            }
            if (record.Claimed)
                continue; // a pod's now: its own records clean up after it
            if (record.Daemon is { IsAlive: true })
            {
                alive++;
                continue;
            }
            await SandboxRemains.RemoveAsync(entry.SandboxDirectory, record.Hypervisor, record.Virtiofsd, TimeSpan.FromSeconds(record.ShutdownGraceSeconds), []);
            PrivateFiles.RemoveTree(entry.Directory);
        }
        for (int i = alive; i < config.VmCacheNumber; i++)
            Spawn(cache.NewEntry(), configPath, debug);
    }

    /// <summary>The entry's record; null when it has none yet, or an unreadable one.</summary>
    private static VmCacheRecord? Load(VmCacheEntryPaths entry)
    {
        try
        {
            var info = new FileInfo(entry.Record);
            if (!info.Exists || info.Length > 64 * 1024 || info.LinkTarget is not null)
                return null;
            return JsonSerializer.Deserialize(File.ReadAllBytes(entry.Record), ShimJsonContext.Default.VmCacheRecord);
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    private static void Spawn(VmCacheEntryPaths entry, string configPath, bool debug)
    {
        var binary = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find the shim's own binary");
        using var devNull = FileDescriptors.Open("/dev/null", FileDescriptors.ReadWrite);
        using var stderr = PrivateFiles.OpenHandle(entry.Stderr, FileMode.Append, FileAccess.Write);
        ProcessSpawner.Spawn(new SpawnOptions
        {
            Path = binary,
            Arguments = [binary, .. ShimFlags.ForCacheEntry(entry.Directory, configPath, debug)],
            Descriptors = [(devNull, 0), (devNull, 1), (stderr, 2)],
            NewSession = true,
            WorkingDirectory = entry.Directory,
        });
    }
}
