using SandboxRt.Interop;
using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.Host;

/// <summary>
/// The path-safe helpers (PinnedDirectory, DetachedMount) against the real kernel while a racing thread
/// keeps swapping the names they work on between real directories and symlinks to a host directory:
/// whatever the interleaving, the helpers fail or act inside their tree, and the host directory is never
/// mounted over, unmounted, written or deleted.
/// </summary>
[Trait("Tier", "host")]
public sealed class PathSafeHelperHostTests
{
    private const int Rounds = 300;

    [Fact]
    public void Creating_and_mounting_on_a_name_a_racer_swaps_for_a_symlink_never_mounts_over_the_host_directory()
    {
        TestEnvironment.RequireRoot();
        using var tree = new ScratchDirectory("srt-tree");
        using var source = new ScratchDirectory("srt-src");
        using var victim = new Victim();
        File.WriteAllText(source.Combine("from-source"), "x");
        var name = tree.Combine("t");
        int mounted = 0, refused = 0;
        using (new Racer(() =>
        {
            Quietly(() => Directory.CreateDirectory(name));
            Quietly(() => Directory.Delete(name));
            Quietly(() => File.CreateSymbolicLink(name, victim.Path));
            Quietly(() => File.Delete(name));
        }))
        {
            using var pinned = PinnedDirectory.Open(tree.Path);
            for (int i = 0; i < Rounds; i++)
            {
                try
                {
                    using var target = pinned.CreateDirectory("t");
                    using var clone = DetachedMount.Clone(source.Path, recursive: false);
                    clone.SetAttributes(MountAttributes.NoSuid | MountAttributes.NoDev);
                    clone.AttachTo(target);
                    mounted++;
                    // what was mounted is inside the tree, and the racer cannot move it away (a mount point)
                    Assert.True(File.Exists(Path.Combine(tree.Path, "t", "from-source")));
                    Assert.True(pinned.Unmount("t"));
                }
                catch (SyscallException e) when (e.Errno is Errno.ELOOP or Errno.ENOENT or Errno.ENOTDIR or Errno.EEXIST)
                {
                    refused++; // the racer had a symlink (or nothing) there at that instant: refused, not followed
                }
                victim.AssertUntouched();
            }
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"{mounted} mounted inside the tree, {refused} refused");
        Assert.True(mounted > 0, "the race never let a mount through: the test proves nothing");
        Assert.DoesNotContain(File.ReadAllLines("/proc/self/mountinfo"), l => l.Contains(tree.Path));
    }

    [Fact]
    public void Unmounting_and_removing_through_names_a_racer_swaps_never_touches_the_host_directory()
    {
        TestEnvironment.RequireRoot();
        using var tree = new ScratchDirectory("srt-tree");
        using var source = new ScratchDirectory("srt-src");
        using var victim = new Victim();
        File.WriteAllText(source.Combine("from-source"), "x");
        var container = tree.Combine("c");
        using var pinned = PinnedDirectory.Open(tree.Path);
        int removed = 0;
        var refusals = new Dictionary<Errno, int>();
        for (int i = 0; i < Rounds / 10; i++)
        {
            // c/rootfs mounted (as a container's is), c/d/e/f files: then teardown while the racer swaps
            // c and c/d for symlinks to the host directory, whose own rootfs and dir mirror them.
            using (var c = pinned.CreateDirectory("c"))
            {
                using var rootfs = c.CreateNewDirectory("rootfs");
                using var clone = DetachedMount.Clone(source.Path, recursive: false);
                clone.AttachTo(rootfs);
                Directory.CreateDirectory(Path.Combine(container, "d", "e"));
                File.WriteAllText(Path.Combine(container, "d", "e", "f"), "f");
            }
            using (new Racer(() =>
            {
                Quietly(() => Directory.Move(container, container + ".real"));
                Quietly(() => File.CreateSymbolicLink(container, victim.Path));
                Quietly(() => File.Delete(container));
                Quietly(() => Directory.Move(container + ".real", container));
                Quietly(() => Directory.Move(Path.Combine(container, "d"), Path.Combine(container, "d.real")));
                Quietly(() => File.CreateSymbolicLink(Path.Combine(container, "d"), victim.Path));
                Quietly(() => File.Delete(Path.Combine(container, "d")));
                Quietly(() => Directory.Move(Path.Combine(container, "d.real"), Path.Combine(container, "d")));
            }))
            {
                bool done = false;
                for (int attempt = 0; attempt < 1000 && !done; attempt++)
                {
                    try
                    {
                        if (!pinned.TryOpenDirectory("c", out var c))
                            continue;
                        using (c)
                        {
                            c.Unmount("rootfs");
                            c.Remove("rootfs", directory: true);
                            c.RemoveTree("d");
                            c.RemoveTree("d.real");
                        }
                        pinned.Remove("c", directory: true);
                        removed++;
                        done = true;
                    }
                    catch (SyscallException e) when (e.Errno is Errno.ELOOP or Errno.ENOENT or Errno.ENOTDIR or Errno.EISDIR or Errno.ENOTEMPTY or Errno.EBUSY or Errno.EXDEV)
                    {
                        refusals[e.Errno] = refusals.GetValueOrDefault(e.Errno) + 1; // the racer got in between: refused, not followed
                    }
                    victim.AssertUntouched();
                }
            }
            // the racer stopped (perhaps with the directory renamed away): tear down what is left, undisturbed
            foreach (var left in new[] { "c", "c.real" })
            {
                if (pinned.Status("").IsDirectory && pinned.TryOpenDirectory(left, out var rest))
                {
                    using (rest)
                        rest.Unmount("rootfs");
                }
                pinned.RemoveTree(left);
            }
            victim.AssertUntouched();
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"{removed} rounds removed the container's directory under the racer; refusals: {string.Join(", ", refusals.Select(r => $"{r.Key} {r.Value}"))}");
        Assert.True(removed > 0, "no round ever got through: the test proves nothing");
        Assert.DoesNotContain(File.ReadAllLines("/proc/self/mountinfo"), l => l.Contains(tree.Path));
    }

    [Fact]
    public void Remove_tree_stops_at_a_mount_point_instead_of_deleting_the_mounted_files()
    {
        TestEnvironment.RequireRoot();
        using var tree = new ScratchDirectory("srt-tree");
        Directory.CreateDirectory(tree.Combine("state", "mnt"));
        File.WriteAllText(tree.Combine("state", "log"), "log");
        FileSystem.Mount("tmpfs", tree.Combine("state", "mnt"), "tmpfs", MountFlags.None, "size=1m");
        try
        {
            File.WriteAllText(tree.Combine("state", "mnt", "precious"), "precious");
            using var pinned = PinnedDirectory.Open(tree.Path);
            var e = Assert.Throws<IOException>(() => pinned.RemoveTree("state"));
            Assert.Contains($"{tree.Path}/state/mnt: it is a mount point", e.Message);
            Assert.Equal("precious", File.ReadAllText(tree.Combine("state", "mnt", "precious")));
        }
        finally
        {
            FileSystem.Unmount(tree.Combine("state", "mnt"), detach: true);
        }
    }

    [Fact]
    public void Names_that_leave_the_tree_or_pass_a_symlink_are_refused_with_the_syscall_path_and_errno()
    {
        TestEnvironment.RequireRoot();
        using var tree = new ScratchDirectory("srt-tree");
        using var victim = new Victim();
        Directory.CreateDirectory(tree.Combine("a"));
        File.CreateSymbolicLink(tree.Combine("link"), victim.Path);
        using var pinned = PinnedDirectory.Open(tree.Path);

        var up = Assert.Throws<SyscallException>(() => pinned.OpenDirectory("a/../.."));
        Assert.Equal(Errno.EXDEV, up.Errno);
        Assert.StartsWith($"openat2(\"{tree.Path}/a/../..\"): EXDEV", up.Message);
        var through = Assert.Throws<SyscallException>(() => pinned.OpenDirectory("link"));
        Assert.Equal(Errno.ELOOP, through.Errno);
        Assert.Equal(Errno.ELOOP, Assert.Throws<SyscallException>(() => pinned.OpenDirectory("link/dir")).Errno);
        Assert.Equal(Errno.ELOOP, Assert.Throws<SyscallException>(() => pinned.CreateDirectory("link")).Errno);
        Assert.Equal(Errno.EXDEV, Assert.Throws<SyscallException>(() => pinned.OpenDirectory(victim.Path)).Errno);
        Assert.Throws<ArgumentException>(() => pinned.CreateDirectory("a/b"));
        Assert.Throws<ArgumentException>(() => pinned.Remove("..", directory: true));
        Assert.False(pinned.Unmount("link")); // a symlink is not followed: nothing is mounted on the link itself
        Assert.True(pinned.Remove("link", directory: false)); // the link goes, not its target
        victim.AssertUntouched();
    }

    [Fact]
    public void Mount_points_are_made_inside_the_rootfs_through_its_own_symlinks_and_never_outside_it()
    {
        TestEnvironment.RequireRoot();
        using var rootfs = new ScratchDirectory("srt-rootfs");
        using var victim = new Victim();
        // an image's symlinks: relative, absolute to its own root, and absolute to a host path
        File.CreateSymbolicLink(rootfs.Combine("etc"), "/");
        File.CreateSymbolicLink(rootfs.Combine("up"), "../../..");
        File.CreateSymbolicLink(rootfs.Combine("host"), victim.Path);
        using var root = PinnedDirectory.Open(rootfs.Path);

        root.CreatePathInRoot("/a/b/c", directory: true);
        root.CreatePathInRoot("/etc/resolv.conf", directory: false); // etc -> / is the rootfs's own root
        root.CreatePathInRoot("/up/escaped", directory: true);       // .. stops at the rootfs's root
        var outside = Assert.Throws<SyscallException>(() => root.CreatePathInRoot("/host/planted", directory: false));
        Assert.Equal(Errno.ENOENT, outside.Errno); // <rootfs>/<the host path> does not exist: nothing made

        Assert.True(Directory.Exists(rootfs.Combine("a", "b", "c")));
        Assert.True(File.Exists(rootfs.Combine("resolv.conf")));
        Assert.True(Directory.Exists(rootfs.Combine("escaped")));
        victim.AssertUntouched();
    }

    private static void Quietly(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
