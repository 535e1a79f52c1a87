using SandboxRt.Interop;
using SandboxRt.IntegrationTests.Support;
using SandboxRt.Runtime.Storage;

namespace SandboxRt.IntegrationTests.Host;

/// <summary>
/// The sandbox's shared directory against the real kernel, with the test playing a guest that escaped
/// its container: whatever the guest can reach is the exported view (<see cref="SharedDirectory.Path"/>,
/// what virtiofsd and QEMU's 9p server serve), so the test writes there what a guest would.
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
            AsGuest(() => Directory.CreateDirectory(Path.Combine(view, "next", "mounts")));
            AsGuest(() => File.CreateSymbolicLink(Path.Combine(view, "next", "rootfs"), victim.Path));
            AsGuest(() => File.CreateSymbolicLink(Path.Combine(view, "next", "mounts", "0"), victim.Path));
            AsGuest(() => File.CreateSymbolicLink(Path.Combine(view, "next", "mounts", "1"), victim.File));
            Try(() => shared.AddRootfs("next", sources.Combine("rootfs"), readOnly: false));
            Try(() => shared.AddMountSource("next", 0, sources.Combine("rootfs"), readOnly: false, recursive: false));
            Try(() => shared.AddMountSource("next", 1, sources.Combine("volume"), readOnly: false, recursive: false));
            victim.AssertUntouched();
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
            // A namespace made before the binds (virtiofsd's is), receiving them by propagation.
            using var early = await MountNamespaceProcess.StartAsync();
            var volumeInView = Path.Combine(shared.Path, shared.AddMountSource("c", 0, volume, readOnly: true, recursive: true));
            var rootfsInView = Path.Combine(shared.Path, shared.AddRootfs("c", rootfs, readOnly: true));
            using var late = await MountNamespaceProcess.StartAsync();
            var script = string.Join("; ", new[] { Path.Combine(volumeInView, "file"), Path.Combine(volumeInView, "sub", "file"), Path.Combine(rootfsInView, "file") }
                .Select(f => $"if echo changed > '{f}'; then echo 'WROTE {f}'; fi; if touch '{f}.new'; then echo 'CREATED {f}.new'; fi"));
            foreach (var (name, run) in new[] { ("the host's", Command.RunAsync("sh", ["-c", script])), ("a namespace made before the binds", early.RunAsync(script)), ("a namespace made after the binds", late.RunAsync(script)) })
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
            var mounts = MountsUnder(state.Path);
            Assert.True(mounts.Count >= 4, "the rootfs, the volume and its sub-mount, in the view: " + string.Join('\n', mounts));
            foreach (var (point, options) in mounts)
            {
                Assert.True(options.Contains("nosuid") && options.Contains("nodev"), $"{point} is mounted {string.Join(',', options)}");
            }
            // the view and the unbindable guard under it (Storage/UnbindableGuard.cs)
            var view = mounts.Where(m => m.Point == shared.Path).ToList();
            Assert.Equal(2, view.Count);
            Assert.All(view, m => Assert.Contains("ro", m.Options));
            var viewStat = Directory.CreateDirectory(shared.Path).UnixFileMode;
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
            Assert.Equal("keep", File.ReadAllText(Path.Combine(shared.Path, names[1].name, "rootfs", "keep")));

            shared.RemoveDirectory(names[0].name); // the first "a" only: what its own relay removes
            Assert.Equal(names.Skip(1).Select(n => n.name).Order(), Directory.GetDirectories(shared.Path).Select(Path.GetFileName).Order());
            shared.RemoveContainer("a"); // `delete a`: every directory of "a", none of "a.b" or "a-1"
            Assert.Equal(new[] { names[2].name, names[3].name, names[4].name }.Order(), Directory.GetDirectories(shared.Path).Select(Path.GetFileName).Order());
            shared.RemoveContainer(longId);
            shared.RemoveContainer("a.b");
            shared.RemoveContainer("a-1");
            Assert.Empty(Directory.GetFileSystemEntries(shared.Path));
            // the two trees on their guards, nothing in them
            Assert.Equal([shared.Path, shared.Path, state.Combine(SharedDirectory.MountsName), state.Combine(SharedDirectory.MountsName)],
                MountsUnder(state.Path).Select(m => m.Point).Order().Reverse());
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
                using (new Racer(() =>
                {
                    AsGuest(() => Directory.CreateDirectory(Path.Combine(container, "d", "e")));
                    AsGuest(() => File.WriteAllText(Path.Combine(container, "d", "e", "f"), "x"));
                    AsGuest(() => Directory.Move(Path.Combine(container, "d"), Path.Combine(container, "d.old")));
                    AsGuest(() => File.CreateSymbolicLink(Path.Combine(container, "d"), victim.Path));
                    AsGuest(() => Directory.Move(container, container + ".moved"));
                    AsGuest(() => File.CreateSymbolicLink(container, victim.Path));
                    AsGuest(() => File.Delete(container));
                    AsGuest(() => Directory.Move(container + ".moved", container));
                    AsGuest(() => File.Delete(Path.Combine(container, "d")));
                    AsGuest(() => Directory.Delete(Path.Combine(container, "d.old"), recursive: true));
                }))
                {
                    Try(() => shared.RemoveContainer(id));
                }
                victim.AssertUntouched();
                Assert.Equal("keep", File.ReadAllText(sources.Combine("rootfs", "keep")));
            }
        }
        finally
        {
            Try(shared.Remove);
        }
        victim.AssertUntouched();
    }

    /// <summary>What a guest does: it may be refused (a read-only view), which is the point.</summary>
    private static void AsGuest(Action action)
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
    /// A container's recursive bind of a directory holding sandboxes' state directories (Docker's
    /// -v /var/run:/x; here the clone is in the host's mount namespace): it copies none of their mounts,
    /// neither the shared directories nor a clone's guest RAM tmpfs, so each sandbox's teardown can still
    /// remove its directories (before, rmdir met the copies: EBUSY, and the sandbox could not be deleted
    /// while the container lived), and the container does not see the other sandbox's containers.
    /// </summary>
    [Fact]
    public void A_recursive_bind_above_state_directories_copies_none_of_their_mounts_and_every_sandbox_is_removable()
    {
        TestEnvironment.RequireRoot();
        using var root = new ScratchDirectory("srt-root");
        using var sources = new ScratchDirectory("srt-src");
        Directory.CreateDirectory(sources.Combine("rootfs"));
        File.WriteAllText(sources.Combine("rootfs", "file"), "rootfs");
        string first = Directory.CreateDirectory(root.Combine("first")).FullName, second = Directory.CreateDirectory(root.Combine("second")).FullName;
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

            foreach (var sandbox in new[] { "first", "second" })
                foreach (var directory in new[] { SharedDirectory.MountsName, SharedDirectory.ViewName })
                    Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(volume, sandbox, directory)));
            Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(volume, "first", "guest-ram")));
            var copied = MountsUnder(second).Where(m => m.Point.Contains($"/{name}/mounts/0/", StringComparison.Ordinal)).Select(m => m.Point).ToList();
            Assert.True(copied.Count == 0, "mounts copied into the volume: " + string.Join(", ", copied));

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
            a.Remove();
            b.Remove();
        }
        Directory.Delete(second);
        AssertNoMountsUnder(root.Path);
    }

    private static List<(string Point, string[] Options)> MountsUnder(string directory) =>
        File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' '))
            .Where(f => f[4] == directory || f[4].StartsWith(directory + "/", StringComparison.Ordinal))
            .Select(f => (f[4], f[5].Split(','))).ToList();

    private static void AssertNoMountsUnder(string directory)
    {
        var left = MountsUnder(directory);
        Assert.True(left.Count == 0, "mounts left behind: " + string.Join(", ", left.Select(m => m.Point)));
    }
}
