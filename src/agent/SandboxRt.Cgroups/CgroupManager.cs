namespace SandboxRt.Cgroups;

/// <summary>
/// Creates and opens cgroups under one cgroup v2 mount (normally /sys/fs/cgroup; tests pass a temporary
/// directory that holds the interface files they need).
/// </summary>
/// <remarks>
/// A controller's files appear in a cgroup only when every ancestor lists the controller in its
/// cgroup.subtree_control, so creation walks down from the root, enabling the wanted controllers in
/// each parent before making the child. Controllers a parent does not offer (absent from its
/// cgroup.controllers) are skipped: their limits then fail later with the file named. A controller that is
/// offered but cannot be enabled is an error, because limits the caller asked for would silently not apply.
/// </remarks>
public sealed class CgroupManager
{
    public const string DefaultRoot = "/sys/fs/cgroup";

    /// <summary>The controllers enabled for containers: "+cpu +memory +pids +io +cpuset".</summary>
    public static IReadOnlyList<string> DefaultControllers { get; } = ["cpu", "memory", "pids", "io", "cpuset"];

    public CgroupManager(string root = DefaultRoot, IReadOnlyList<string>? controllers = null)
    {
        Root = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(root));
        Controllers = controllers ?? DefaultControllers;
    }

    /// <summary>The cgroup v2 mount point.</summary>
    public string Root { get; }

    /// <summary>The controllers <see cref="Create"/> enables on the way down.</summary>
    public IReadOnlyList<string> Controllers { get; }

    /// <summary>
    /// Creates the cgroup at <paramref name="path"/> (relative to <see cref="Root"/>; a leading '/' is
    /// allowed, as in OCI cgroupsPath) and any missing parents, enabling <see cref="Controllers"/> in
    /// every ancestor. An existing cgroup is reused.
    /// </summary>
    public Cgroup Create(string path)
    {
        var current = Root;
        foreach (var segment in Segments(path))
        {
            EnableControllers(current);
            current = System.IO.Path.Combine(current, segment);
            try
            {
                Directory.CreateDirectory(current);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CgroupException($"mkdir {current}: {e.Message}", current, inner: e);
            }
        }
        return new Cgroup(current);
    }

    /// <summary>Opens an existing cgroup.</summary>
    public Cgroup Open(string path)
    {
        var full = Resolve(path);
        if (!Directory.Exists(full))
            throw new CgroupException($"open {full}: no such cgroup", full, Interop.Errno.ENOENT);
        return new Cgroup(full);
    }

    /// <summary>The absolute directory of <paramref name="path"/>; rejects "." and ".." segments.</summary>
    public string Resolve(string path) => Segments(path).Aggregate(Root, System.IO.Path.Combine);

    private void EnableControllers(string directory)
    {
        var offered = Words(CgroupFile.Read(System.IO.Path.Combine(directory, "cgroup.controllers")));
        var controlFile = System.IO.Path.Combine(directory, "cgroup.subtree_control");
        var enabled = Words(CgroupFile.Read(controlFile));
        var wanted = Controllers.Where(c => offered.Contains(c) && !enabled.Contains(c)).ToList();
        if (wanted.Count == 0)
            return;
        try
        {
            CgroupFile.Write(controlFile, string.Join(' ', wanted.Select(c => "+" + c)));
        }
        catch (CgroupException)
        {
            // One refused controller fails the whole write: retry one by one to name the culprit.
            var failures = new List<string>();
            foreach (var controller in wanted)
            {
                try
                {
                    CgroupFile.Write(controlFile, "+" + controller);
                }
                catch (CgroupException e)
                {
                    failures.Add(e.Message);
                }
            }
            if (failures.Count > 0)
                throw new CgroupException(string.Join("; ", failures), controlFile);
        }
    }

    private static HashSet<string> Words(string text) => [.. text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)];

    private static string[] Segments(string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0)
            throw new ArgumentException($"cgroup path \"{path}\" names the root itself", nameof(path));
        if (segments.Any(s => s is "." or ".."))
            throw new ArgumentException($"cgroup path \"{path}\" must not contain \".\" or \"..\"", nameof(path));
        return segments;
    }
}
