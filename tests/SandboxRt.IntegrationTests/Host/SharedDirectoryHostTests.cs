using SandboxRt.Interop;
using SandboxRt.IntegrationTests.Support;
using SandboxRt.Runtime.Storage;

namespace SandboxRt.IntegrationTests.Host;

/// <summary>
/// The sandbox's shared directory against the real kernel, with the test playing a guest that escaped
/// its container: whatever the guest can reach is the exported view (<see cref="SharedDirectory.Path"/>
/// in the sandbox's mount namespace, what virtiofsd and QEMU's 9p server serve), so the test writes
/// there what a guest would, from that namespace.
/// </summary>
[Trait("Tier", "host")]
public sealed class SharedDirectoryHostTests
{
    [Fact]
    public void Symlinks_planted_in_the_exported_view_never_redirect_a_host_mount()
    {
        TestEnvironment.RequireRoot();
        using var state = new ScratchDirectory("srt-state");
        using var victim = new Victim();
        using var sources = new ScratchDirectory("srt-src");
        Directory.CreateDirectory(sources.Combine("rootfs"));
        File.WriteAllText(sources.Combine("volume"), "volume");
        var shared = SharedDirectory.Create(state.Path);
        try
        {
            // The guest plants symlinks to a host directory where the next container's mounts will go.
            var view = shared.Path;
            AsGuest(shared, () => Directory.CreateDirectory(Path.Combine(view, "next", "mounts")));
            AsGuest(shared, () => File.CreateSymbolicLink(Path.Combine(view, "next", "rootfs"), victim.Path));
            AsGuest(shared, () => File.CreateSymbolicLink(Path.Combine(view, "next", "mounts", "0"), victim.Path));
            AsGuest(shared, () => File.CreateSymbolicLink(Path.Combine(view, "next", "mounts", "1"), victim.File));
            Try(() => shared.AddRootfs("next", sources.Combine("rootfs"), readOnly: false));
            Try(() => shared.AddMountSource("next", 0, sources.Combine("rootfs"), readOnly: false, recursive: false));
            Try(() => shared.AddMountSource("next", 1, sources.Combine("volume"), readOnly: false, recursive: false));
            victim.AssertUntouched(shared.Namespace);
        }
        finally
        {
            shared.Remove();
        }
        victim.AssertUntouched();
        AssertNoMountsUnder(state.Path);
    }

    [Fact]
    public async Task Read_only_binds_are_read_only_in_every_mount_namespace_sub_mounts_of_an_rbind_included()
    {
        TestEnvironment.RequireRoot();
        using var state = new ScratchDirectory("srt-state");
        using var sources = new ScratchDirectory("srt-src");
        var volume = sources.Combine("volume");
        var rootfs = sources.Combine("rootfs");
        Directory.CreateDirectory(Path.Combine(volume, "sub"));
        Directory.CreateDirectory(rootfs);
        File.WriteAllText(Path.Combine(volume, "file"), "original");
        File.WriteAllText(Path.Combine(rootfs, "file"), "original");
        FileSystem.Mount("tmpfs", Path.Combine(volume, "sub"), "tmpfs", MountFlags.None, "size=1m");
        var shared = SharedDirectory.Create(state.Path);
        try
        {
            File.WriteAllText(Path.Combine(volume, "sub", "file"), "original");
            // A copy of the sandbox's namespace made before the binds (virtiofsd's is), receiving them by propagation.
            var sandbox = SharedDirectory.NamespacePath(state.Path);
            using var early = await MountNamespaceProcess.StartAsync(from: sandbox);
            var volumeInView = Path.Combine(shared.Path, shared.AddMountSource("c", 0, volume, readOnly: true, recursive: true));
            var rootfsInView = Path.Combine(shared.Path, shared.AddRootfs("c", rootfs, readOnly: true));
            using var late = await MountNamespaceProcess.StartAsync(from: sandbox);
            var script = string.Join("; ", new[] { Path.Combine(volumeInView, "file"), Path.Combine(volumeInView, "sub", "file"), Path.Combine(rootfsInView, "file") }
                .Select(f => $"if echo changed > '{f}'; then echo 'WROTE {f}'; fi; if touch '{f}.new'; then echo 'CREATED {f}.new'; fi"));
            foreach (var (name, run) in new[] { ("the sandbox's", Command.RunAsync("nsenter", ["--mount=" + sandbox, "sh", "-c", script])), ("a namespace made before the binds", early.RunAsync(script)), ("a namespace made after the binds", late.RunAsync(script)) })
            {
                var result = await run;
                Assert.True(!result.Stdout.Contains("WROTE") && !result.Stdout.Contains("CREATED"), $"{name} mount namespace could write through a read-only bind: {result.Stdout}");
                Assert.Contains("Read-only file system", result.Stderr);
            }
            Assert.Equal("original", File.ReadAllText(Path.Combine(volume, "file")));
            Assert.Equal("original", File.ReadAllText(Path.Combine(volume, "sub", "file")));
            Assert.Equal("original", File.ReadAllText(Path.Combine(rootfs, "file")));
        }
        finally
        {
            shared.Remove();
            FileSystem.TryUnmount(Path.Combine(volume, "sub"), detach: true);
        }
        AssertNoMountsUnder(state.Path);
    }

    [Fact]
    public void Every_bind_is_nosuid_and_nodev_and_the_view_is_read_only()
    {
        TestEnvironment.RequireRoot();
        using var state = new ScratchDirectory("srt-state");
        using var sources = new ScratchDirectory("srt-src");
        Directory.CreateDirectory(sources.Combine("rootfs"));
        Directory.CreateDirectory(sources.Combine("volume", "sub"));
        FileSystem.Mount("tmpfs", sources.Combine("volume", "sub"), "tmpfs", MountFlags.None, "size=1m");
        var shared = SharedDirectory.Create(state.Path);
        try
        {
            shared.AddRootfs("c", sources.Combine("rootfs"), readOnly: false);
            shared.AddMountSource("c", 0, sources.Combine("volume"), readOnly: false, recursive: true);
            var mounts = MountsUnder(state.Path, shared);
            Assert.True(mounts.Count >= 4, "the rootfs, the volume and its sub-mount, in the view: " + string.Join('\n', mounts));
            foreach (var (point, options) in mounts)
            {
                Assert.True(options.Contains("nosuid") && options.Contains("nodev"), $"{point} is mounted {string.Join(',', options)}");
            }
            var view = Assert.Single(mounts, m => m.Point == shared.Path);
            Assert.Contains("ro", view.Options);
            // in the host's namespace, nothing but the namespace itself, bound on its guard
            Assert.Equal([state.Combine(SharedDirectory.NamespaceName), SharedDirectory.NamespacePath(state.Path)], MountsUnder(state.Path).Select(m => m.Point).Order());
            var viewStat = shared.Namespace.Run(() => new DirectoryInfo(shared.Path).UnixFileMode);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, viewStat);
        }
        finally
        {
            shared.Remove();
            FileSystem.TryUnmount(sources.Combine("volume", "sub"), detach: true);
        }
        AssertNoMountsUnder(state.Path);
    }

    [Fact]
    public void Each_container_gets_a_directory_never_named_before_and_removing_an_id_takes_its_directories_only()
    {
        TestEnvironment.RequireRoot();
        using var state = new ScratchDirectory("srt-state");
        using var sources = new ScratchDirectory("srt-src");
        Directory.CreateDirectory(sources.Combine("rootfs"));
        File.WriteAllText(sources.Combine("rootfs", "keep"), "keep");
        var longId = new string('x', 250);
        var shared = SharedDirectory.Create(state.Path);
        try
        {
            // the same id twice (a container created again), ids that start another's, the longest id
            var names = new[] { "a", "a", "a.b", "a-1", longId }.Select(id => (id, name: shared.AddContainer(id))).ToList();
            Assert.Equal(names.Count, names.Select(n => n.name).Distinct().Count());
            Assert.All(names, n => Assert.InRange(n.name.Length, 1, 255));
            Assert.StartsWith("a@", names[0].name);
            Assert.StartsWith("#", names[4].name);
            foreach (var (_, name) in names)
                Assert.Equal($"{name}/rootfs", shared.AddRootfs(name, sources.Combine("rootfs"), readOnly: true));
            Assert.Equal("keep", shared.Namespace.Run(() => File.ReadAllText(Path.Combine(shared.Path, names[1].name, "rootfs", "keep"))));
            string[] Directories() => shared.Namespace.Run(() => Directory.GetDirectories(shared.Path).Select(Path.GetFileName).Order().ToArray())!;

            shared.RemoveDirectory(names[0].name); // the first "a" only: what its own relay removes
            Assert.Equal(names.Skip(1).Select(n => n.name).Order(), Directories());
            shared.RemoveContainer("a"); // `delete a`: every directory of "a", none of "a.b" or "a-1"
            Assert.Equal(new[] { names[2].name, names[3].name, names[4].name }.Order(), Directories());
            shared.RemoveContainer(longId);
            shared.RemoveContainer("a.b");
            shared.RemoveContainer("a-1");
            Assert.Empty(Directories());
            // the two trees, nothing in them (and the copy of the namespace's guard, which was there first)
            Assert.Equal([shared.Path, state.Combine(SharedDirectory.MountsName), state.Combine(SharedDirectory.NamespaceName)],
                MountsUnder(state.Path, shared).Select(m => m.Point).Order().Reverse());
        }
        finally
        {
            shared.Remove();
        }
        AssertNoMountsUnder(state.Path);
        Assert.Equal("keep", File.ReadAllText(sources.Combine("rootfs", "keep")));
    }

    [Fact]
    public void Teardown_with_a_guest_racing_symlinks_never_unmounts_or_deletes_outside_the_state_tree()
    {
        TestEnvironment.RequireRoot();
        using var state = new ScratchDirectory("srt-state");
        using var victim = new Victim();
        using var sources = new ScratchDirectory("srt-src");
        Directory.CreateDirectory(sources.Combine("rootfs"));
        File.WriteAllText(sources.Combine("rootfs", "keep"), "keep");
        var shared = SharedDirectory.Create(state.Path);
        try
        {
            for (int round = 0; round < 40; round++)
            {
                var id = "c" + round;
                shared.AddRootfs(id, sources.Combine("rootfs"), readOnly: false);
                var container = Path.Combine(shared.Path, id);
                // The guest keeps swapping what it can write in the container's directory between real
                // directories (which a recursive delete walks into) and symlinks to the host directory
                // (whose own mount point "rootfs" mirrors the container's).
                using (new Racer(() => AsGuest(shared, () =>
                {
                    Swallow(() => Directory.CreateDirectory(Path.Combine(container, "d", "e")));
                    Swallow(() => File.WriteAllText(Path.Combine(container, "d", "e", "f"), "x"));
                    Swallow(() => Directory.Move(Path.Combine(container, "d"), Path.Combine(container, "d.old")));
                    Swallow(() => File.CreateSymbolicLink(Path.Combine(container, "d"), victim.Path));
                    Swallow(() => Directory.Move(container, container + ".moved"));
                    Swallow(() => File.CreateSymbolicLink(container, victim.Path));
                    Swallow(() => File.Delete(container));
                    Swallow(() => Directory.Move(container + ".moved", container));
                    Swallow(() => File.Delete(Path.Combine(container, "d")));
                    Swallow(() => Directory.Delete(Path.Combine(container, "d.old"), recursive: true));
                })))
                {
                    Try(() => shared.RemoveContainer(id));
                }
                victim.AssertUntouched(shared.Namespace);
                Assert.Equal("keep", File.ReadAllText(sources.Combine("rootfs", "keep")));
            }
        }
        finally
        {
            Try(shared.Remove);
        }
        victim.AssertUntouched();
    }

    /// <summary>What a guest does, in the sandbox's mount namespace where the view is: it may be refused (a read-only view), which is the point.</summary>
    private static void AsGuest(SharedDirectory shared, Action action) => shared.Namespace.Run(() => Swallow(action));

    private static void Swallow(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The host may refuse to go on after the guest interfered; what matters is what it did not do.</summary>
    private static void Try(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            TestContext.Current.TestOutputHelper?.WriteLine("host refused: " + e.Message);
        }
    }

    /// <summary>
    /// A container's recursive bind of a directory holding other containers' mounts and sandboxes' state
    /// directories (cadvisor's -v /var/lib/docker, Docker's -v /var/run:/x): the copies are in the
    /// sandbox's mount namespace, none in the host's, so the host can still unmount and remove what it
    /// mounted (`docker rm` of another container: before, rmdir of its overlay's directory met the copy,
    /// EBUSY, for as long as the volume lived; a sandbox whose state was copied could not be deleted). The
    /// volume shows no other sandbox's containers (their mounts are in their own namespaces) and no
    /// clone's guest RAM (an unbindable guard).
    /// </summary>
    [Fact]
    public void A_recursive_bind_copies_host_mounts_into_the_sandboxs_namespace_only_and_the_host_can_still_remove_them()
    {
        TestEnvironment.RequireRoot();
        using var root = new ScratchDirectory("srt-root");
        using var sources = new ScratchDirectory("srt-src");
        Directory.CreateDirectory(sources.Combine("rootfs"));
        File.WriteAllText(sources.Combine("rootfs", "file"), "rootfs");
        string first = Directory.CreateDirectory(root.Combine("first")).FullName, second = Directory.CreateDirectory(root.Combine("second")).FullName;
        var merged = Directory.CreateDirectory(root.Combine("other", "merged")).FullName; // another container's root file system
        FileSystem.Mount("tmpfs", merged, "tmpfs", MountFlags.None, "size=1m");
        File.WriteAllText(Path.Combine(merged, "file"), "other");
        var a = SharedDirectory.Create(first);
        var b = SharedDirectory.Create(second);
        var ram = new SandboxRt.Runtime.Hypervisors.Qemu.QemuStateFiles(first);
        try
        {
            a.AddRootfs(a.AddContainer("c"), sources.Combine("rootfs"), readOnly: false);
            ram.MountGuestRam(1 << 20);
            File.WriteAllText(ram.GuestRam, "guest memory");
            var name = b.AddContainer("v");
            var volume = Path.Combine(b.Path, b.AddMountSource(name, 0, root.Path, readOnly: true, recursive: true));

            b.Namespace.Run(() =>
            {
                foreach (var sandbox in new[] { "first", "second" })
                    foreach (var directory in new[] { SharedDirectory.MountsName, SharedDirectory.ViewName })
                        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(volume, sandbox, directory)));
                Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(volume, "first", "guest-ram")));
                Assert.Equal("other", File.ReadAllText(Path.Combine(volume, "other", "merged", "file")));
            });
            // nothing of it in the host's namespace: the sandbox's namespace, bound
            Assert.Equal([Path.Combine(second, SharedDirectory.NamespaceName), SharedDirectory.NamespacePath(second)], MountsUnder(second).Select(m => m.Point).Order());

            // the host removes the other container's mount while the volume has a copy of it
            FileSystem.Unmount(merged);
            Directory.Delete(merged);
            Assert.False(b.Namespace.Run(() => Directory.Exists(Path.Combine(volume, "other", "merged"))));

            // the first sandbox goes while the volume is still mounted
            SandboxRt.Runtime.Hypervisors.Qemu.Templates.GuestRamFileSystem.Unmount(first, "guest-ram");
            Directory.Delete(Path.GetDirectoryName(ram.GuestRam)!);
            a.Remove();
            Directory.Delete(first);
            AssertNoMountsUnder(first);
        }
        finally
        {
            SandboxRt.Runtime.Hypervisors.Qemu.Templates.GuestRamFileSystem.Unmount(first, "guest-ram");
            FileSystem.TryUnmount(merged, detach: true);
            a.Remove();
            b.Remove();
        }
        Directory.Delete(second);
        AssertNoMountsUnder(root.Path);
    }

    /// <summary>
    /// A state directory on a shared mount (/run under systemd, where containerd's and Docker's live; a
    /// peer of it elsewhere): the bind of the sandbox's mount namespace cannot propagate (the kernel
    /// refuses, EINVAL, so every create failed there), so it goes on a guard where nothing propagates.
    /// The sandbox works, nothing of it is left on the mount or its peer once removed.
    /// </summary>
    [Fact]
    public void A_state_directory_on_a_shared_mount_gets_its_namespace_and_leaves_nothing_on_the_mount_or_its_peer()
    {
        TestEnvironment.RequireRoot();
        using var run = new ScratchDirectory("srt-run");
        using var peer = new ScratchDirectory("srt-peer");
        using var sources = new ScratchDirectory("srt-src");
        Directory.CreateDirectory(sources.Combine("rootfs"));
        File.WriteAllText(sources.Combine("rootfs", "file"), "rootfs");
        FileSystem.Mount(run.Path, run.Path, null, MountFlags.Bind);
        try
        {
            FileSystem.Mount(null, run.Path, null, MountFlags.Shared);
            FileSystem.Mount(run.Path, peer.Path, null, MountFlags.Bind); // in run's peer group
            var state = Directory.CreateDirectory(run.Combine("state")).FullName;
            var shared = SharedDirectory.Create(state);
            try
            {
                var rootfs = Path.Combine(shared.Path, shared.AddRootfs(shared.AddContainer("c"), sources.Combine("rootfs"), readOnly: true));
                Assert.Equal("rootfs", shared.Namespace.Run(() => File.ReadAllText(Path.Combine(rootfs, "file"))));
                Assert.DoesNotContain(MountsUnder(peer.Path), m => m.Point.EndsWith("/" + SharedDirectory.NamespaceFile, StringComparison.Ordinal));
            }
            finally
            {
                shared.Remove();
            }
            AssertNoMountsUnder(state);
            Assert.Equal([peer.Path], MountsUnder(peer.Path).Select(m => m.Point));
        }
        finally
        {
            FileSystem.TryUnmount(peer.Path, detach: true);
            FileSystem.TryUnmount(run.Path, detach: true);
        }
    }

    /// <summary>The mounts at and below <paramref name="directory"/>: in the host's namespace, or in the sandbox's of <paramref name="shared"/>.</summary>
    private static List<(string Point, string[] Options)> MountsUnder(string directory, SharedDirectory? shared = null)
    {
        // /proc/thread-self: /proc/self/mountinfo is the main thread's namespace's
        var lines = shared is null ? File.ReadAllLines("/proc/self/mountinfo") : shared.Namespace.Run(() => File.ReadAllLines("/proc/thread-self/mountinfo"));
        return lines.Select(l => l.Split(' '))
            .Where(f => f[4] == directory || f[4].StartsWith(directory + "/", StringComparison.Ordinal))
            .Select(f => (f[4], f[5].Split(','))).ToList();
    }

    private static void AssertNoMountsUnder(string directory)
    {
        var left = MountsUnder(directory);
        Assert.True(left.Count == 0, "mounts left behind: " + string.Join(", ", left.Select(m => m.Point)));
    }
}
