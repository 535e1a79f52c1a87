using SandboxRt.Interop;
using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.Host;

/// <summary>The interop layer against the real kernel: spawning, waiting, mounting, and the errors it raises.</summary>
[Trait("Tier", "host")]
public sealed class InteropTests
{
    [Fact]
    public async Task Spawned_children_get_exactly_the_mapped_descriptors_and_report_their_status()
    {
        using var dir = new ScratchDirectory();
        var outPath = dir.Combine("out");
        using (var output = File.OpenHandle(outPath, FileMode.Create, FileAccess.Write))
        using (var input = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Read))
        {
            int pid = ProcessSpawner.Spawn(new SpawnOptions
            {
                Path = "/bin/sh",
                Arguments = ["sh", "-c", "echo hello; echo $(ls /proc/self/fd); exit 7"],
                Descriptors = [(input, 0), (output, 1), (output, 2)],
                Environment = ["PATH=/usr/bin:/bin"],
                NewSession = true,
            });
            var status = await Task.Run(() => { ChildProcesses.TryWait(pid, true, out _, out var s); return s; });
            Assert.True(status.Exited);
            Assert.Equal(7, status.ShellStatus);
        }
        var lines = File.ReadAllLines(outPath);
        Assert.Equal("hello", lines[0]);
        // The three given descriptors and ls's own directory descriptor: nothing of the test runner's leaked in.
        Assert.Equal("0 1 2 3", lines[1].Trim());
    }

    [Fact]
    public async Task A_child_in_a_new_pid_namespace_is_pid_1_there_sees_no_host_process_and_is_waited_for_here()
    {
        TestEnvironment.RequireRoot();
        using var dir = new ScratchDirectory();
        var outPath = dir.Combine("out");
        int pid;
        using (var output = File.OpenHandle(outPath, FileMode.Create, FileAccess.Write))
        using (var input = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Read))
        {
            // The shell is root with every capability: only the namespace keeps it from this test's process.
            pid = ProcessSpawner.Spawn(new SpawnOptions
            {
                Path = "/bin/sh",
                Arguments = ["sh", "-c", $"echo $$; kill -0 {Environment.ProcessId} 2>/dev/null; echo $?; exit 7"],
                Descriptors = [(input, 0), (output, 1), (output, 2)],
                Environment = ["PATH=/usr/bin:/bin"],
                NewPidNamespace = true,
            });
            var status = await Task.Run(() => { ChildProcesses.TryWait(pid, true, out _, out var s); return s; });
            Assert.True(status.Exited);
            Assert.Equal(7, status.ShellStatus);
        }
        Assert.Equal(["1", "1"], File.ReadAllLines(outPath)); // pid 1 there; kill: no such process

        // The spawning thread's namespace went with it: the next child is in ours, under its own pid.
        File.Delete(outPath);
        using (var output = File.OpenHandle(outPath, FileMode.Create, FileAccess.Write))
        using (var input = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Read))
        {
            pid = ProcessSpawner.Spawn(new SpawnOptions
            {
                Path = "/bin/sh",
                Arguments = ["sh", "-c", "echo $$"],
                Descriptors = [(input, 0), (output, 1), (output, 2)],
            });
            await Task.Run(() => ChildProcesses.TryWait(pid, true, out _, out _));
        }
        Assert.Equal([pid.ToString()], File.ReadAllLines(outPath));
    }

    /// <summary>
    /// A mount namespace of the sandbox's kind (MountNamespace, Storage/SharedDirectory.cs): a mount made
    /// on a thread that entered it is there and not in the host's namespace; a child spawned into it
    /// sees it; the namespace outlives its object once bound, and the host's rmdir of a directory that
    /// is a mount point only there succeeds.
    /// </summary>
    [Fact]
    public async Task A_mount_namespace_holds_its_own_mounts_its_spawned_children_see_them_and_the_host_can_still_remove_their_directories()
    {
        TestEnvironment.RequireRoot();
        using var dir = new ScratchDirectory();
        var point = Directory.CreateDirectory(dir.Combine("point")).FullName;
        var bound = dir.Combine("ns");
        File.WriteAllBytes(bound, []);
        using (var ns = MountNamespace.CreateSlaveCopy("a test's"))
        {
            ns.Run(() => FileSystem.Mount("tmpfs", point, "tmpfs", MountFlags.None, "size=1m"));
            ns.Run(() => File.WriteAllText(Path.Combine(point, "inside"), "inside"));
            ns.BindTo(bound);
        }
        Assert.False(File.Exists(Path.Combine(point, "inside"))); // not in the host's namespace
        Assert.True(MountNamespace.TryOpen(bound, out var again));
        using (again)
        {
            Assert.Equal("inside", again.Run(() => File.ReadAllText(Path.Combine(point, "inside"))));
            var outPath = dir.Combine("out");
            using (var output = File.OpenHandle(outPath, FileMode.Create, FileAccess.Write))
            using (var input = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Read))
            {
                int pid = ProcessSpawner.Spawn(new SpawnOptions
                {
                    Path = "/bin/cat",
                    Arguments = ["cat", Path.Combine(point, "inside")],
                    Descriptors = [(input, 0), (output, 1), (output, 2)],
                    MountNamespace = again.Handle,
                });
                var status = await Task.Run(() => { ChildProcesses.TryWait(pid, true, out _, out var s); return s; });
                Assert.Equal(0, status.ShellStatus);
            }
            Assert.Equal("inside", File.ReadAllText(outPath));
            Directory.Delete(point); // a mount point in the other namespace only: removed, and the copy there detached
            Assert.False(again.Run(() => Directory.Exists(point)));
        }
        Assert.False(MountNamespace.TryOpen(dir.Combine("out"), out _)); // a plain file: no namespace bound there
        FileSystem.Unmount(bound);
        Assert.False(MountNamespace.TryOpen(bound, out _));
    }

    [Fact]
    public async Task A_descriptor_below_the_highest_mapped_number_is_not_inherited()
    {
        // The shim's ttrpc listener (fd 3) reached QEMU this way: taps were mapped from fd 10 and
        // closefrom started above them. Here an inheritable pipe stands for it, well below the mapped 500.
        var (read, write) = Pipes.Create();
        using (read)
        using (write)
        using (var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite))
        {
            Descriptors.SetInheritable(write, true);
            Assert.True(write.Number < 500, $"the pipe got descriptor {write.Number}");
            int pid = ProcessSpawner.Spawn(new SpawnOptions
            {
                Path = "/bin/sleep",
                Arguments = ["sleep", "60"],
                Descriptors = [(devNull, 0), (devNull, 1), (devNull, 2), (devNull, 500)],
            });
            try
            {
                // posix_spawn returns after the exec, but the program then runs: its dynamic loader and
                // locale set-up open (and close) files of their own as fd 3, which a loaded machine once
                // caught here. Sleeping (nanosleep or clock_nanosleep), sleep has no such file open.
                await Condition.WaitAsync(() => File.ReadAllText($"/proc/{pid}/syscall").Split(' ')[0] is "35" or "230", "sleep to reach its nanosleep");
                var open = Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Select(p => int.Parse(Path.GetFileName(p))).Order().ToList();
                Assert.Equal([0, 1, 2, 500], open);
            }
            finally
            {
                ChildProcesses.Signal(pid, 9);
                await Task.Run(() => ChildProcesses.TryWait(pid, true, out _, out _));
            }
        }
    }

    [Fact]
    public async Task A_killed_child_reports_128_plus_the_signal()
    {
        int pid = ProcessSpawner.Spawn(new SpawnOptions { Path = "/bin/sleep", Arguments = ["sleep", "30"] });
        Assert.True(ChildProcesses.Signal(pid, 9));
        var status = await Task.Run(() => { ChildProcesses.TryWait(pid, true, out _, out var s); return s; });
        Assert.True(status.Signaled);
        Assert.Equal(137, status.ShellStatus);
        Assert.False(ChildProcesses.Signal(pid, 0)); // gone: ESRCH is false, not an exception
    }

    [Fact]
    public void Spawning_a_missing_binary_names_it()
    {
        var e = Assert.Throws<SyscallException>(() => ProcessSpawner.Spawn(new SpawnOptions { Path = "/nonexistent/qemu", Arguments = ["qemu"] }));
        Assert.Equal(Errno.ENOENT, e.Errno);
        Assert.Contains("/nonexistent/qemu", e.Message);
    }

    [Fact]
    public void Mount_and_unmount_a_tmpfs_and_errors_name_the_path()
    {
        TestEnvironment.RequireRoot();
        using var dir = new ScratchDirectory();
        FileSystem.Mount("tmpfs", dir.Path, "tmpfs", MountFlags.NoSuid | MountFlags.NoDev, "size=1m");
        try
        {
            Assert.Contains($" {dir.Path} ", File.ReadAllText("/proc/self/mountinfo"));
        }
        finally
        {
            FileSystem.Unmount(dir.Path);
        }
        Assert.DoesNotContain($" {dir.Path} ", File.ReadAllText("/proc/self/mountinfo"));
        Assert.False(FileSystem.TryUnmount(dir.Path));

        var e = Assert.Throws<SyscallException>(() => FileSystem.Mount("tmpfs", "/nonexistent/target", "tmpfs"));
        Assert.Equal(Errno.ENOENT, e.Errno);
        Assert.Equal("mount(\"tmpfs\", \"/nonexistent/target\", \"tmpfs\"): ENOENT (No such file or directory)", e.Message);
    }

    [Fact]
    public void Loading_a_module_that_is_not_a_module_fails_with_the_path()
    {
        TestEnvironment.RequireRoot();
        using var dir = new ScratchDirectory();
        var path = dir.Combine("bogus.ko");
        File.WriteAllText(path, "not an ELF file");
        var e = Assert.Throws<SyscallException>(() => KernelModules.Load(path));
        Assert.Equal("finit_module", e.Syscall);
        Assert.Contains(path, e.Message);
    }
}
