namespace SandboxRt.Runtime.HostCgroups;

/// <summary>
/// One mounted cgroup hierarchy: a v1 hierarchy (its controllers, or "name=systemd") or the cgroup2 one,
/// where it is mounted, which cgroup its mount shows as its root, and this process's cgroup in it.
/// </summary>
public sealed record CgroupHierarchy(string Controllers, string MountPoint, string MountRoot, string OwnCgroup)
{
    public bool IsUnified => Controllers.Length == 0;

    /// <summary>The directory of the cgroup at <paramref name="path"/> (absolute, or relative to our own cgroup).</summary>
    public string DirectoryOf(string path)
    {
        var absolute = path.StartsWith('/') ? path : CgroupsPath.Clean(OwnCgroup.TrimEnd('/') + "/" + path);
        // Inside a cgroup namespace or a bind of a sub-tree, the mount shows MountRoot as its "/".
        if (MountRoot != "/" && (absolute == MountRoot || absolute.StartsWith(MountRoot + "/", StringComparison.Ordinal)))
            absolute = absolute[MountRoot.Length..];
        return MountPoint.TrimEnd('/') + (absolute == "/" ? "" : absolute);
    }
}
