using SandboxRt.Cgroups;
using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.Cgroups;

/// <summary>
/// A cgroup created for one test under this host's cgroup2 mount (/sys/fs/cgroup/unified on the hybrid
/// layout, /sys/fs/cgroup on a pure v2 host) and removed at the end, whatever happened: its processes
/// are killed first.
/// </summary>
internal sealed class ScratchCgroup : IAsyncDisposable
{
    private ScratchCgroup(CgroupManager manager, string name, Cgroup cgroup)
    {
        Manager = manager;
        Name = name;
        Cgroup = cgroup;
    }

    public CgroupManager Manager { get; }

    /// <summary>The top-level directory name under the mount (removed last).</summary>
    public string Name { get; }

    public Cgroup Cgroup { get; }

    /// <summary>Skips the test unless running as root on a host with a cgroup2 mount.</summary>
    public static ScratchCgroup Create(string? child = null)
    {
        TestEnvironment.RequireRoot();
        var mount = Cgroup2Mount();
        if (mount is null)
            TestEnvironment.Skip("needs a cgroup2 mount (none in /proc/self/mounts)");
        var manager = new CgroupManager(mount);
        var name = "srt-test-" + Guid.NewGuid().ToString("N")[..10];
        return new ScratchCgroup(manager, name, manager.Create(child is null ? name : $"{name}/{child}"));
    }

    /// <summary>The first cgroup2 mount point.</summary>
    public static string? Cgroup2Mount() =>
        File.ReadLines("/proc/self/mounts").Select(l => l.Split(' ')).FirstOrDefault(f => f.Length > 2 && f[2] == "cgroup2")?[1];

    public async ValueTask DisposeAsync()
    {
        var top = Manager.Resolve(Name);
        Cgroup.Dispose();
        if (!Directory.Exists(top))
            return; // the test removed it
        // Deepest first: a cgroup with children cannot be removed.
        foreach (var dir in Directory.GetDirectories(top, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length).Append(top))
        {
            using var cgroup = Manager.Open(Path.GetRelativePath(Manager.Root, dir));
            cgroup.KillAll();
            await cgroup.RemoveAsync(TimeSpan.FromSeconds(10));
        }
    }
}
