using SandboxRt.IntegrationTests.Support;
using SandboxRt.Oci.Spec;

namespace SandboxRt.IntegrationTests.HostileGuest;

/// <summary>
/// The hostile-guest tier through the real CLI: a privileged container mounts the sandbox's share itself
/// (a stand-in for a guest that escaped its container, or a compromised agent) and attacks the host
/// through it. Every test asserts, from the host, that the host was not harmed.
/// </summary>
[Trait("Tier", "hostile")]
public sealed class HostileGuestCliTests
{
    private static string NewId() => "hostile-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>A privileged guest with a writable rootfs and <paramref name="volume"/> bound read-write at /data (mount index <paramref name="data"/>).</summary>
    private static TestBundle WritableVolumeBundle(ScratchDirectory volume, out int data, Action<Spec>? customize = null)
    {
        int index = 0;
        var bundle = new TestBundle(s =>
        {
            PrivilegedGuest.MakePrivileged(s);
            s.Root!.Readonly = false;
            index = s.Mounts!.Count;
            s.Mounts.Add(new Mount { Destination = "/data", Type = "bind", Source = volume.Path, Options = ["rbind", "rw"] });
            customize?.Invoke(s);
        });
        data = index;
        return bundle;
    }

    private static Task<CliRun> Cli(ScratchDirectory state, params string[] args) =>
        args[0] == "create" ? CliRun.RunLeavingRelayAsync(args, state.Path) : CliRun.RunAsync(args, root: state.Path);

    [Fact]
    public async Task A_guest_with_the_share_mounted_cannot_write_read_only_volumes_or_a_read_only_rootfs_or_plant_anything()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        using var volume = new ScratchDirectory("srt-vol");
        using var victim = new Victim();
        File.WriteAllText(volume.Combine("data"), "original");
        // a mount below the read-only volume's source: an rbind takes it along, and it must be read-only too
        var sub = volume.Combine("sub");
        Directory.CreateDirectory(sub);
        (await Command.RunAsync("mount", ["-t", "tmpfs", "-o", "size=1m", "hostile-sub", sub])).Ok();
        try
        {
            File.WriteAllText(Path.Combine(sub, "data"), "original");
            var file = volume.Combine("file");
            File.WriteAllText(file, "original");
            var id = NewId();
            int roVolume = 0, roFile = 0;
            using var bundle = new TestBundle(s =>
            {
                PrivilegedGuest.MakePrivileged(s);
                s.Root!.Readonly = true;
                roVolume = s.Mounts!.Count;
                s.Mounts.Add(new Mount { Destination = "/ro", Type = "bind", Source = volume.Path, Options = ["rbind", "ro"] });
                roFile = s.Mounts.Count;
                s.Mounts.Add(new Mount { Destination = "/rofile", Type = "bind", Source = file, Options = ["bind", "ro"] });
            });
            var passwd = File.ReadAllText(Path.Combine(bundle.Rootfs, "etc", "passwd"));
            var share = PrivilegedGuest.Share;
            var c = PrivilegedGuest.ContainerDirectory;
            // The guest makes its own views writable where it can (its mounts are its own), then writes.
            bundle.Spec.Process!.Args = ["sh", "-c", string.Join('\n',
                PrivilegedGuest.RequireShare(id),
                PrivilegedGuest.TryFunction,
                "mount -o remount,rw /ro; mount -o remount,rw /rofile; mount -o remount,rw /",
                "try sh -c 'echo changed > /ro/data'",
                "try sh -c 'echo changed > /ro/new'",
                "mount -o remount,rw /ro/sub",
                "try sh -c 'echo changed > /ro/sub/data'",
                "try sh -c 'echo changed > /ro/sub/new'",
                "try sh -c 'echo changed > /rofile'",
                "try sh -c 'echo changed > /etc/passwd'",
                "try sh -c 'echo changed > /new-in-rootfs'",
                $"try sh -c 'echo changed > {c}/mounts/{roVolume}/data'",
                $"try sh -c 'echo changed > {c}/mounts/{roVolume}/sub/data'",
                $"try sh -c 'echo changed > {c}/mounts/{roFile}'",
                $"try sh -c 'echo changed > {c}/rootfs/etc/passwd'",
                $"try busybox mkdir {share}/planted",
                $"try busybox ln -s {victim.Path} {share}/next",
                $"try busybox ln -s {victim.Path} {c}/planted",
                $"try busybox mkdir {c}/mounts/99",
                $"try busybox mv {c}/mounts {c}/moved",
                "echo finished")];
            bundle.Save();

            var run = await CliRun.RunAsync(["run", "--bundle", bundle.Directory, id], root: state.Path);
            TestContext.Current.TestOutputHelper?.WriteLine($"exit {run.ExitCode}\nstdout: {run.Stdout}\nstderr: {run.Stderr}");
            Assert.Contains("finished", run.Stdout);
            Assert.DoesNotContain("DID:", run.Stdout);
            Assert.Equal("original", File.ReadAllText(volume.Combine("data")));
            Assert.False(File.Exists(volume.Combine("new")));
            Assert.Equal("original", File.ReadAllText(Path.Combine(sub, "data")));
            Assert.False(File.Exists(Path.Combine(sub, "new")));
            Assert.Equal("original", File.ReadAllText(file));
            Assert.Equal(passwd, File.ReadAllText(Path.Combine(bundle.Rootfs, "etc", "passwd")));
            Assert.False(File.Exists(Path.Combine(bundle.Rootfs, "new-in-rootfs")));
            victim.AssertUntouched();
            LeakCheck.AssertNothingLeft(state.Path, id);
        }
        finally
        {
            await Command.RunAsync("umount", ["-l", sub]);
        }
    }

    [Fact]
    public async Task Over_9p_a_setuid_file_or_a_device_node_the_guest_makes_is_a_plain_file_on_the_host()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        using var volume = new ScratchDirectory("srt-vol");
        var id = NewId();
        using var bundle = new TestBundle(s =>
        {
            PrivilegedGuest.MakePrivileged(s);
            s.Mounts!.Add(new Mount { Destination = "/data", Type = "bind", Source = volume.Path, Options = ["rbind", "rw"] });
            s.Process!.Args = ["sh", "-c", "busybox cp /bin/busybox /data/suid; busybox chmod 4755 /data/suid; busybox mknod /data/null c 1 3; busybox ls -l /data"];
        });
        Directory.CreateDirectory(Path.Combine(bundle.Rootfs, "data"));
        bundle.HardLinkApplets(); // 9p's mapped-xattr mode cannot follow symlinks made on the host
        var run = await CliRun.RunAsync(["--config-option", "shared_fs=virtio-9p", "run", "--bundle", bundle.Directory, id], root: state.Path);
        TestContext.Current.TestOutputHelper?.WriteLine($"exit {run.ExitCode}\nstdout: {run.Stdout}\nstderr: {run.Stderr}");
        Assert.Equal(0, run.ExitCode);
        // the host has plain files: no setuid bit, no device ...
        using var data = SandboxRt.Interop.PinnedDirectory.Open(volume.Path);
        var suid = data.Status("suid");
        Assert.True(suid.IsRegularFile && (suid.Permissions & 0xE00) == 0, $"the guest's setuid file is mode {Convert.ToString(suid.Mode, 8)} on the host");
        var node = data.Status("null");
        Assert.True(node.IsRegularFile, $"the guest's device node is mode {Convert.ToString(node.Mode, 8)} on the host");
        // ... while the guest sees what it made (its owner, mode and type live in xattrs on the host)
        Assert.Contains("-rwsr-xr-x", run.Stdout);
        Assert.Contains("crw", run.Stdout);
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    /// <summary>
    /// The guest's root is the host's one image file, shared by every VM (qemu.json "image", GuestRootImage).
    /// Guest root with the block device writes a MiB of random bytes into it: its kernel takes the
    /// write, but the virtio-pmem memory is QEMU's read-only mapping of a descriptor opened read-only, so
    /// the guest reads its old bytes back, not one byte of the host's file changes, and the next VM boots
    /// from it as before. The write goes to the image's last MiB, which the file system does not use:
    /// over its superblock it corrupts that guest's own page cache (the superblock's page), and the
    /// agent, whose binary pages then fail ext4's block checks, hangs, which is only that VM's harm.
    /// </summary>
    [Fact]
    public async Task Guest_root_that_writes_over_the_shared_root_image_changes_no_byte_of_the_host_file()
    {
        TestEnvironment.RequireVmPrerequisites();
        var image = File.ResolveLinkTarget(TestEnvironment.Image, returnFinalTarget: true)?.FullName ?? TestEnvironment.Image;
        var before = File.ReadAllBytes(image);
        var lastMib = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(before.AsSpan(before.Length - (1 << 20))));
        using var state = new ScratchDirectory("srt-state");
        var id = NewId();
        using var bundle = new TestBundle(s =>
        {
            PrivilegedGuest.MakePrivileged(s);
            s.Linux!.Resources!.Devices = [new LinuxDeviceCgroup { Allow = true, Access = "rwm" }];
            s.Process!.Args = ["sh", "-c", string.Join('\n',
                PrivilegedGuest.TryFunction,
                "busybox grep ' / / ' /proc/1/mountinfo", // the agent's root
                "busybox mknod /dev/root-image b 259 0", // /dev/pmem0
                "tail=$(( $(busybox cat /sys/block/pmem0/size) / 8 - 256 ))", // the last MiB, in 4 KiB blocks
                "try busybox dd if=/dev/urandom of=/dev/root-image bs=4096 seek=$tail count=256 oflag=direct",
                "echo \"read back: $(busybox dd if=/dev/root-image bs=4096 skip=$tail count=256 iflag=direct 2>/dev/null | busybox sha256sum)\"",
                "echo finished")];
        });
        var run = await CliRun.RunAsync(["run", "--bundle", bundle.Directory, id], root: state.Path);
        TestContext.Current.TestOutputHelper?.WriteLine($"exit {run.ExitCode}\nstdout: {run.Stdout}\nstderr: {run.Stderr}");
        Assert.Contains("finished", run.Stdout);
        Assert.Contains(" - ext4 /dev/root ro,dax=always", run.Stdout); // the agent runs from the image, through DAX
        Assert.Contains("DID: busybox dd if=/dev/urandom of=/dev/root-image", run.Stdout); // the guest kernel took the write
        Assert.Contains($"read back: {lastMib}", run.Stdout); // and it landed nowhere
        Assert.True(before.AsSpan().SequenceEqual(File.ReadAllBytes(image)), "the host's root image changed");
        LeakCheck.AssertNothingLeft(state.Path, id);

        // the next VM is restored or booted from the same, unchanged image and runs its container
        var id2 = NewId();
        using var next = new TestBundle(s => s.Process!.Args = ["sh", "-c", "echo next-ran"]);
        var second = await CliRun.RunAsync(["run", "--bundle", next.Directory, id2], root: state.Path);
        Assert.True(second.ExitCode == 0 && second.Stdout.Contains("next-ran"), $"exit {second.ExitCode}: {second.Stdout} {second.Stderr}");
        LeakCheck.AssertNothingLeft(state.Path, id2);
    }

    /// <summary>
    /// virtiofsd runs without CAP_MKNOD (and with modcaps=-mknod), so guest root cannot make a device node
    /// on a host file system through virtio-fs: not in a writable volume as the container sees it, not
    /// through the share mounted by hand, not in a writable rootfs. A FIFO needs no capability and is allowed.
    /// </summary>
    [Fact]
    public async Task Over_virtio_fs_guest_root_cannot_make_a_device_node_on_the_host()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        using var volume = new ScratchDirectory("srt-vol");
        var id = NewId();
        using var bundle = WritableVolumeBundle(volume, out int data);
        var c = PrivilegedGuest.ContainerDirectory;
        bundle.Spec.Process!.Args = ["sh", "-c", string.Join('\n',
            PrivilegedGuest.RequireShare(id),
            PrivilegedGuest.TryFunction,
            "try busybox mknod /data/null c 1 3",
            "try busybox mknod /data/sda b 8 0",
            $"try busybox mknod {c}/mounts/{data}/null2 c 1 3",
            "try busybox mknod /null-in-rootfs c 1 3",
            "busybox mkfifo /data/fifo && echo FIFO",
            "echo finished")];
        bundle.Save();

        var run = await CliRun.RunAsync(["run", "--bundle", bundle.Directory, id], root: state.Path);
        TestContext.Current.TestOutputHelper?.WriteLine($"exit {run.ExitCode}\nstdout: {run.Stdout}\nstderr: {run.Stderr}");
        Assert.Contains("finished", run.Stdout);
        Assert.DoesNotContain("DID:", run.Stdout);
        Assert.Contains("REFUSED: busybox mknod /data/null c 1 3", run.Stdout);
        Assert.Contains("FIFO", run.Stdout);
        using var pinned = SandboxRt.Interop.PinnedDirectory.Open(volume.Path);
        Assert.True((pinned.Status("fifo").Mode & 0xF000) == 0x1000, "the guest's FIFO reached the volume as a FIFO");
        foreach (var name in new[] { "null", "sda", "null2" })
            Assert.False(File.Exists(volume.Combine(name)) || Directory.Exists(volume.Combine(name)), $"{name} exists in the volume's source");
        Assert.False(File.Exists(Path.Combine(bundle.Rootfs, "null-in-rootfs")));
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    /// <summary>
    /// virtio-fs serves extended attributes (file capabilities must work: IsolationTests), through a map
    /// that keeps the host's labels from guest root: it neither reads nor lists the security.selinux and
    /// trusted.* attributes the host gave a volume's file (they read as absent), nor sets any of its own (EPERM), while user.*
    /// and security.capability pass as under runc. Without the map the guest read the host's
    /// security.selinux and replaced it.
    /// </summary>
    [Fact]
    public async Task Over_virtio_fs_guest_root_can_neither_see_nor_set_the_hosts_security_labels_or_trusted_attributes()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        using var volume = new ScratchDirectory("srt-vol");
        var file = volume.Combine("labelled");
        var host = (await Command.RunAsync(TestBinaries.XattrProbe, [file, "set:trusted.host=host-secret", "set:security.selinux=host_t"])).Ok();
        Assert.DoesNotContain("!", host.Stdout);
        var id = NewId();
        using var bundle = WritableVolumeBundle(volume, out _);
        bundle.Spec.Process!.Args = ["xattrprobe", "/data/labelled", "list", "get:trusted.host", "get:security.selinux",
            "set:trusted.guest=x", "set:security.selinux=guest_t", "set:security.ima=x", "set:user.guest=1", "setcap"];
        bundle.Save();

        var run = await CliRun.RunAsync(["run", "--bundle", bundle.Directory, id], root: state.Path);
        TestContext.Current.TestOutputHelper?.WriteLine($"exit {run.ExitCode}\nstdout: {run.Stdout}\nstderr: {run.Stderr}");
        Assert.Equal(0, run.ExitCode);
        var lines = run.Stdout.Split('\n');
        var list = Assert.Single(lines, l => l.StartsWith("list"));
        Assert.DoesNotContain("trusted.", list);
        Assert.DoesNotContain("security.selinux", list);
        Assert.Contains("get trusted.host !ENODATA", lines);     // virtiofsd answers a refused name's get as absent
        Assert.Contains("get security.selinux !ENODATA", lines);
        Assert.Contains("set trusted.guest !EPERM", lines);
        Assert.Contains("set security.selinux !EPERM", lines);
        Assert.Contains("set security.ima !EPERM", lines);
        Assert.Contains("set user.guest ok", lines);
        Assert.Contains("setcap ok", lines);

        // the host's file: its labels as the host left them, the guest's user attribute and capability
        var after = (await Command.RunAsync(TestBinaries.XattrProbe, [file, "list", "get:trusted.host", "get:security.selinux", "get:user.guest"])).Ok();
        Assert.Contains("get trusted.host=host-secret", after.Stdout);
        Assert.Contains("get security.selinux=host_t", after.Stdout);
        Assert.Contains("get user.guest=1", after.Stdout);
        Assert.DoesNotContain("trusted.guest", after.Stdout);
        Assert.Contains("security.capability", after.Stdout);
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    [Fact]
    public async Task A_setuid_file_the_guest_makes_in_a_volume_is_out_of_other_host_users_reach_and_the_state_tree_is_private()
    {
        TestEnvironment.RequireVmPrerequisites();
        TestEnvironment.RequireCommand("setpriv", "util-linux");
        using var state = new ScratchDirectory("srt-state");
        using var volume = new ScratchDirectory("srt-vol");
        var id = NewId();
        using var bundle = WritableVolumeBundle(volume, out int data, s =>
        {
            s.Process!.Args = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"];
            s.Process.Env = [.. s.Process.Env ?? [], "SECRET=do-not-show-other-users"];
        });
        Assert.Equal(0, (await Cli(state, "create", "--bundle", bundle.Directory, id)).ExitCode);
        try
        {
            Assert.Equal(0, (await Cli(state, "start", id)).ExitCode);
            // as root in the guest: a setuid-root copy of busybox in the writable volume
            var make = await Cli(state, "exec", id, "sh", "-c", "busybox cp /bin/busybox /data/suid && busybox chmod 4755 /data/suid && busybox ls -l /data/suid");
            Assert.True(make.ExitCode == 0, make.Stderr);
            Assert.StartsWith("-rwsr-xr-x", make.Stdout);
            // an exec leaves its process spec (with the environment) in the state directory while it runs
            var detached = await Cli(state, "exec", "--detach", id, "sleep", "30");
            Assert.Equal(0, detached.ExitCode);

            // the shared directory's mounts are in the sandbox's mount namespace (SandboxNamespace)
            var stateDirectory = state.Combine(id);
            var name = SandboxNamespace.Run(stateDirectory, () => Path.GetFileName(Assert.Single(Directory.GetDirectories(Path.Combine(stateDirectory, "mounts"), id + "@*"))));
            foreach (var path in new[] { $"{stateDirectory}/shared/{name}/mounts/{data}/suid", $"{stateDirectory}/mounts/{name}/mounts/{data}/suid" })
            {
                // through a shell: setpriv resolves its own program before its capabilities are gone
                var asNobody = await Command.RunAsync("nsenter", SandboxNamespace.Nsenter(stateDirectory, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--", "/bin/sh", "-c", $"'{path}' id -u"));
                Assert.True(asNobody.ExitCode != 0 && !asNobody.Stdout.Contains('0'), $"another host user ran the guest's setuid file through {path}: {asNobody.Stdout}");
                Assert.Contains("Permission denied", asNobody.Stderr);
            }
            var binds = SandboxNamespace.MountInfo(stateDirectory).Where(f => f[4].StartsWith(stateDirectory + "/")).ToList();
            Assert.NotEmpty(binds);
            Assert.All(binds, f => Assert.True(f[5].Split(',').Contains("nosuid") && f[5].Split(',').Contains("nodev"), $"{f[4]} is mounted {f[5]}"));
            // the skeleton the host mounts into is a small tmpfs of its own, not the host's /run
            var skeleton = binds.Where(f => f[4] == stateDirectory + "/mounts").Select(f => string.Join(' ', f).Split(" - ")[1].Split(' ')).ToList();
            var superblock = Assert.Single(skeleton);
            Assert.Equal("tmpfs", superblock[0]);
            Assert.Contains("size=1024k", superblock[2].Split(','));
            Assert.Contains("nr_inodes=16384", superblock[2].Split(','));
            // in the host's namespace: the bound namespace, and a clone's guest RAM (on its guard)
            var hostMounts = File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')).Where(f => f[4].StartsWith(stateDirectory + "/")).Select(f => f[4]).ToHashSet();
            var nsGuard = $"{stateDirectory}/{SandboxRt.Runtime.Storage.SharedDirectory.NamespaceName}";
            Assert.Subset(new HashSet<string> { nsGuard, SandboxRt.Runtime.Storage.SharedDirectory.NamespacePath(stateDirectory), $"{stateDirectory}/guest-ram" }, hostMounts);

            // ls -l of the state tree: every entry the runtime made is private (the roots of the mounted
            // rootfs and volumes are the sources' own inodes, below private directories)
            var mountPoints = binds.Select(f => f[4]).Concat(hostMounts).ToHashSet();
            var exposed = SandboxNamespace.Run(stateDirectory, () => PrivateTree.Walk(stateDirectory, mountPoints)
                .Concat(PrivateTree.Walk(SandboxRt.Runtime.Storage.SocketDirectory.For(stateDirectory), mountPoints, socketsToo: false)).ToList())
                .Where(e => (e.Mode & 0b000_111_111) != 0).Select(e => $"{Convert.ToString(e.Mode & 0xFFF, 8)} {e.Path}").ToList();
            Assert.True(exposed.Count == 0, "entries other host users can read or enter:\n" + string.Join('\n', exposed));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(state.Combine(id + ".lock")));
            var ls = await Command.RunAsync("nsenter", SandboxNamespace.Nsenter(stateDirectory, "ls", "-la", stateDirectory, $"{stateDirectory}/mounts/{name}", $"{stateDirectory}/mounts/{name}/mounts"));
            TestContext.Current.TestOutputHelper?.WriteLine(ls.Stdout);
        }
        finally
        {
            await Cli(state, "delete", "--force", id);
        }
        LeakCheck.AssertNothingLeft(state.Path, id);
    }
}
