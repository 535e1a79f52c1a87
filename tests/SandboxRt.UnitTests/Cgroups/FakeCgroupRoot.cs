using SandboxRt.Cgroups;

namespace SandboxRt.UnitTests.Cgroups;

/// <summary>
/// A temporary directory laid out like a cgroup v2 mount: the root offers controllers, and
/// <see cref="Leaf"/> makes a child directory with the interface files the kernel would show.
/// </summary>
internal sealed class FakeCgroupRoot : IDisposable
{
    private readonly TempDirectory _dir = new();

    public FakeCgroupRoot(string controllers = "cpuset cpu io memory hugetlb pids rdma misc")
    {
        File.WriteAllText(Combine("cgroup.controllers"), controllers + "\n");
        File.WriteAllText(Combine("cgroup.subtree_control"), "");
        Manager = new CgroupManager(Path);
    }

    public string Path => _dir.Path;

    public CgroupManager Manager { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>Creates <paramref name="relative"/> with empty interface files named by <paramref name="files"/>.</summary>
    public string Leaf(string relative, params string[] files)
    {
        var dir = Combine(relative);
        Directory.CreateDirectory(dir);
        foreach (var file in files)
            File.WriteAllText(System.IO.Path.Combine(dir, file), "");
        return dir;
    }

    public string ReadFile(params string[] parts) => File.ReadAllText(Combine(parts));

    /// <summary>Replaces a file's content atomically, as the kernel does, so a concurrent reader never sees it empty.</summary>
    public void Replace(string relative, string content)
    {
        var temporary = Combine(relative + ".new");
        File.WriteAllText(temporary, content);
        File.Move(temporary, Combine(relative), overwrite: true);
    }

    public void Dispose() => _dir.Dispose();
}
