using SandboxRt.Interop;

namespace SandboxRt.IntegrationTests.Support;

/// <summary>
/// A host directory a hostile guest aims at: files, a sub-directory, and a tmpfs mounted at "rootfs" and
/// at "mounts/0" (the names a container's mounts have in the shared directory, so that a host following a
/// planted symlink would unmount or delete here). <see cref="AssertUntouched"/> checks that nothing was
/// mounted over it, unmounted, written or deleted.
/// </summary>
internal sealed class Victim : IDisposable
{
    private readonly ScratchDirectory _dir = new("srt-victim");
    private readonly string[] _mounted;

    public Victim()
    {
        Path = _dir.Path;
        File = _dir.Combine("precious");
        System.IO.File.WriteAllText(File, "precious");
        Directory.CreateDirectory(_dir.Combine("dir"));
        System.IO.File.WriteAllText(_dir.Combine("dir", "inner"), "inner");
        _mounted = [_dir.Combine("rootfs"), _dir.Combine("mounts", "0")];
        foreach (var point in _mounted)
        {
            Directory.CreateDirectory(point);
            FileSystem.Mount("tmpfs", point, "tmpfs", MountFlags.NoSuid | MountFlags.NoDev, "size=1m");
            System.IO.File.WriteAllText(System.IO.Path.Combine(point, "inside"), "inside");
        }
        Listing = Snapshot();
    }

    public string Path { get; }

    /// <summary>A regular file in the directory (a target for file bind mounts).</summary>
    public string File { get; }

    private string Listing { get; }

    /// <param name="sandbox">A sandbox's mount namespace made after this directory (SharedDirectory.Namespace), where the host mounts on a sandbox's behalf: checked too.</param>
    public void AssertUntouched(MountNamespace? sandbox = null)
    {
        AssertMountPoints(System.IO.File.ReadAllLines("/proc/self/mountinfo"), "the host's");
        if (sandbox is not null)
            AssertMountPoints(sandbox.Run(() => System.IO.File.ReadAllLines("/proc/thread-self/mountinfo")), "the sandbox's");
        Assert.Equal(Listing, Snapshot());
    }

    private void AssertMountPoints(string[] mountinfo, string where)
    {
        var mounts = mountinfo.Select(l => l.Split(' ')[4])
            .Where(p => p == Path || p.StartsWith(Path + "/", StringComparison.Ordinal)).Order().ToList();
        Assert.True(mounts.SequenceEqual(_mounted.Order()), $"the host directory {Path} was mounted over or unmounted in {where} mount namespace: mount points now [{string.Join(", ", mounts)}]");
    }

    /// <summary>Every entry below the directory with its content (files) or kind, across its mounts.</summary>
    private string Snapshot() =>
        string.Join('\n', Directory.EnumerateFileSystemEntries(Path, "*", SearchOption.AllDirectories).Order()
            .Select(p => p + (System.IO.File.Exists(p) ? "=" + System.IO.File.ReadAllText(p) : "/")));

    public void Dispose()
    {
        foreach (var point in _mounted)
            FileSystem.TryUnmount(point, detach: true);
        _dir.Dispose();
    }
}
