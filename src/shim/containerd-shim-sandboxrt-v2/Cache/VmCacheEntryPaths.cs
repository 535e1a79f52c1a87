namespace SandboxRt.Shim.Cache;

/// <summary>
/// One cached VM's directory: the daemon's record (entry.json, written first, so that a directory
/// without one is an entry still being spawned), its log until a pod claims it, the socket it is claimed
/// on (made only once the VM is warm: its presence means "ready"), and the sandbox's state directory
/// (cache-NAME), which stays where it is for the pod's life (the pod record names it).
/// </summary>
internal sealed record VmCacheEntryPaths(string Directory)
{
    public string Record => Path.Combine(Directory, "entry.json");
    public string ClaimSocket => Path.Combine(Directory, "claim.sock");
    public string Log => Path.Combine(Directory, "shim.log");
    public string Stderr => Path.Combine(Directory, "stderr.log");
    /// <summary>The sandbox's id (QEMU's -name is sandboxrt-ID): the entry's, since no pod is known when it starts.</summary>
    public string SandboxId => "cache-" + Name;
    public string SandboxDirectory => Path.Combine(Directory, SandboxId);
    public string Name => Path.GetFileName(Directory);

    /// <summary>Entry names are 12 lower-case hex digits (VmCacheDirectory.NewEntry).</summary>
    public static bool IsName(string name) => name.Length == 12 && name.All(char.IsAsciiHexDigitLower);

    /// <summary>
    /// The entry of <paramref name="path"/>, when it is a directory of an entry under the cache's root
    /// (a -vm-cache-entry argument, or a pod record's sandbox directory): null for anything else.
    /// </summary>
    public static VmCacheEntryPaths? Of(string path)
    {
        var full = Path.GetFullPath(path);
        var key = Path.GetDirectoryName(full);
        if (key is null || Path.GetDirectoryName(key) != VmCacheDirectory.Root || !IsName(Path.GetFileName(full)))
            return null;
        return new VmCacheEntryPaths(full);
    }
}
