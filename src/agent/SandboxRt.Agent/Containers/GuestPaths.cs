namespace SandboxRt.Agent.Containers;

/// <summary>Where the agent keeps things in the guest.</summary>
internal static class GuestPaths
{
    /// <summary>The sandbox's shared directory (virtio-fs or 9p), holding container roots and bind sources.</summary>
    public const string SharedMount = "/run/sandboxrt/shared";

    /// <summary>The parent cgroup of every container.</summary>
    public const string CgroupParent = "sandboxrt";

    public const string CgroupRoot = "/sys/fs/cgroup";

    /// <summary>
    /// A path the host sent relative to the shared directory, resolved and checked to stay inside it
    /// (the host is trusted, but a confused or compromised host must not make the agent mount guest files).
    /// </summary>
    public static string InShared(string relative, string field)
    {
        if (relative.StartsWith('/') || relative.Split('/').Contains(".."))
            throw new ArgumentException($"{field}: '{relative}' must be a relative path inside the shared directory");
        var full = Path.GetFullPath(Path.Combine(SharedMount, relative));
        if (!full.StartsWith(SharedMount + "/", StringComparison.Ordinal))
            throw new ArgumentException($"{field}: '{relative}' leaves the shared directory");
        return full;
    }
}
