using System.Security.Cryptography;
using System.Text;
using SandboxRt.Runtime.Configuration;

namespace SandboxRt.Shim.Cache;

/// <summary>
/// Where the cached VMs of one configuration live: /run/sandboxrt/shim/vm-cache/KEY/ENTRY. The key hashes
/// what a cached VM was made from (the configuration file's path and bytes, the shim binary, the guest
/// kernel and initrd, by size and modification time), so that a pod only takes a VM its configuration
/// would have made: after any of them changes the old entries are no longer found, and end at their
/// idle timeout.
/// </summary>
internal sealed class VmCacheDirectory
{
    public const string Root = Cli.ShimPaths.Root + "/vm-cache";

    private VmCacheDirectory(string path) => Path = path;

    public string Path { get; }

    public static VmCacheDirectory For(HypervisorConfig config)
    {
        var key = new StringBuilder();
        key.Append(config.SourcePath ?? "(built-in)").Append('\n');
        if (config.SourcePath is { } source && File.Exists(source))
            key.Append(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(source)))).Append('\n');
        foreach (var file in new[] { Environment.ProcessPath ?? "", config.Kernel, config.Initrd })
        {
            var info = new FileInfo(file);
            key.Append(file).Append(' ').Append(info.Exists ? $"{info.Length} {info.LastWriteTimeUtc.Ticks}" : "missing").Append('\n');
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key.ToString())))[..16];
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
