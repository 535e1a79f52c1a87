using System.Security.Cryptography;
using SandboxRt.Runtime.Configuration;

namespace SandboxRt.Shim.Cache;

/// <summary>
/// Where the cached VMs of one configuration live: /run/sandboxrt/shim/vm-cache/KEY/ENTRY, KEY being
/// <see cref="VmCacheKey"/>'s: a pod only finds the VMs its configuration would have made.
/// </summary>
internal sealed class VmCacheDirectory
{
    public const string Root = Cli.ShimPaths.Root + "/vm-cache";

    private VmCacheDirectory(string path) => Path = path;

    public string Path { get; }

    public static VmCacheDirectory For(HypervisorConfig config)
    {
        var hash = VmCacheKey.For(config);
        return new VmCacheDirectory(System.IO.Path.Combine(Root, hash));
    }

    /// <summary>The entries, oldest first (the one that waited longest is claimed first).</summary>
    public IReadOnlyList<VmCacheEntryPaths> Entries()
    {
        if (!Directory.Exists(Path))
            return [];
        return new DirectoryInfo(Path).EnumerateDirectories()
            .Where(d => d.LinkTarget is null && VmCacheEntryPaths.IsName(d.Name))
            .OrderBy(d => d.CreationTimeUtc)
            .Select(d => new VmCacheEntryPaths(d.FullName))
            .ToList();
    }

    /// <summary>A new entry's directory, made (root-only).</summary>
    public VmCacheEntryPaths NewEntry()
    {
        Runtime.Storage.PrivateFiles.CreateDirectory(Path);
        var entry = new VmCacheEntryPaths(System.IO.Path.Combine(Path, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))));
        Runtime.Storage.PrivateFiles.CreateDirectory(entry.Directory);
        return entry;
    }

    /// <summary>The lock `start` holds while it counts and tops up the entries.</summary>
    public Interop.FileLock Lock()
    {
        Runtime.Storage.PrivateFiles.CreateDirectory(Path);
        return Interop.FileLock.Acquire(System.IO.Path.Combine(Path, "lock"), TimeSpan.FromSeconds(30));
    }
}
