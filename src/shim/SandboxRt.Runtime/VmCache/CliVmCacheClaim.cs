namespace SandboxRt.Runtime.VmCache;

/// <summary>
/// What a container's relay asks of a CLI VM cache entry (CliVmCacheEntry): the container whose VM it
/// becomes (whose record already names the entry, and whose relay must be the claim's sender), the
/// network namespace to mirror into it, and the host cgroup to move it to.
/// </summary>
public sealed record CliVmCacheClaim
{
    public string Container { get; init; } = "";

    /// <summary>The network namespace the VM mirrors (its NICs are hot-plugged); null for none.</summary>
    public string? NetworkNamespace { get; init; }

    /// <summary>NetworkNamespace is the relay's own (/proc/RELAY/ns/net), made for the container.</summary>
    public bool OwnNetwork { get; init; }

    /// <summary>The container's host cgroup (CgroupsPath.Resolve's form); null leaves the VM where it is.</summary>
    public string? CgroupsPath { get; init; }
}
