namespace SandboxRt.Runtime.HostCgroups;

/// <summary>
/// linux.cgroupsPath as a path inside each cgroup hierarchy. Two forms arrive:
/// <list type="bullet">
/// <item>cgroupfs paths ("/docker/ID", "/k8s.io/ID", "/kubepods/besteffort/podUID/ID"): cleaned as runc's
/// CleanPath does (".." cannot climb above the root; a relative path stays relative and is placed under
/// the caller's own cgroup, as runc's cgroupfs driver places it);</item>
/// <item>systemd's "slice:prefix:name" (Docker and the CRI plugin with the systemd driver): placed where
/// systemd would put the unit, "/system.slice/docker-ID.scope", "/kubepods.slice/kubepods-besteffort.slice/
/// kubepods-besteffort-podUID.slice/cri-containerd-ID.scope" (runc's ExpandSlice and unit naming), made
/// through cgroupfs: there is no systemd to ask here (PID 1 is not systemd on these hosts).</item>
/// </list>
/// The form is told by its shape (three ':'-separated fields, not starting with '/'), since the
/// engine's --systemd-cgroup flag does not reach the shim.
/// </summary>
public static class CgroupsPath
{
    /// <summary>The path to use, or null when the spec names none (the VM then stays in its starter's cgroups).</summary>
    public static string? Resolve(string? cgroupsPath)
    {
        if (string.IsNullOrEmpty(cgroupsPath))
            return null;
        if (cgroupsPath.Contains('\0'))
            throw new ArgumentException("linux.cgroupsPath: contains a NUL byte");
        var parts = cgroupsPath.Split(':');
        if (!cgroupsPath.StartsWith('/') && parts.Length == 3)
            return FromSystemd(parts[0], parts[1], parts[2], cgroupsPath);
        return Clean(cgroupsPath);
    }

    /// <summary>runc's utils.CleanPath: lexical clean, and a relative path cannot climb out of where it is placed.</summary>
    public static string Clean(string path)
    {
        bool absolute = path.StartsWith('/');
        var stack = new List<string>();
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".")
                continue;
            if (part == "..")
            {
                if (stack.Count > 0)
                    stack.RemoveAt(stack.Count - 1);
                continue;
            }
            stack.Add(part);
        }
        var joined = string.Join('/', stack);
        return absolute ? "/" + joined : joined;
    }

    private static string FromSystemd(string slice, string prefix, string name, string original)
    {
        if (name.Length == 0 || name.Contains('/') || prefix.Contains('/'))
            throw new ArgumentException($"linux.cgroupsPath {original}: \"slice:prefix:name\" needs a name, and no '/' in prefix or name");
        // runc: a name ending in .slice is the unit itself; otherwise a scope "<prefix>-<name>.scope".
        var unit = name.EndsWith(".slice", StringComparison.Ordinal) ? name : $"{prefix}-{name}.scope";
        var parent = ExpandSlice(slice.Length == 0 ? "system.slice" : slice, original);
        return (parent == "/" ? "" : parent) + "/" + unit;
    }

    /// <summary>systemd's slice hierarchy: "a-b-c.slice" is /a.slice/a-b.slice/a-b-c.slice; "-.slice" is the root.</summary>
    public static string ExpandSlice(string slice, string? original = null)
    {
        const string Suffix = ".slice";
        if (!slice.EndsWith(Suffix, StringComparison.Ordinal) || slice.Length == Suffix.Length || slice.Contains('/'))
            throw new ArgumentException($"linux.cgroupsPath {original ?? slice}: invalid slice name {slice}");
        var stem = slice[..^Suffix.Length];
        if (stem == "-")
            return "/";
        var path = "";
        var prefix = "";
        foreach (var component in stem.Split('-'))
        {
            if (component.Length == 0)
                throw new ArgumentException($"linux.cgroupsPath {original ?? slice}: invalid slice name {slice} (empty component)");
            path += "/" + prefix + component + Suffix;
            prefix += component + "-";
        }
        return path;
    }
}
