using System.Diagnostics;
using SandboxRt.Interop;
using SandboxRt.IntegrationTests.Support;
using SandboxRt.Runtime.HostCgroups;

namespace SandboxRt.IntegrationTests.Jail;

/// <summary>
/// sandboxrt-jailer against the real kernel: the process it execs has the asked-for user and group and
/// nothing else (no capability in any set, no supplementary group, no_new_privs), only the descriptors
/// passed on purpose, the cgroup, and a root holding only what was bound into it.
/// </summary>
[Trait("Tier", "host")]
public sealed class JailerHostTests
{
    private const uint TestUid = 2_147_000_123; // outside the default jail range, so no sandbox can hold it

    [Fact]
    public async Task A_jailed_program_has_its_user_no_capabilities_only_its_descriptors_its_cgroup_and_a_bare_root()
    {
        TestEnvironment.RequireRoot();
        TestEnvironment.RequireFile(TestEnvironment.Jailer, "sandboxrt-jailer (make build)");
        TestEnvironment.RequireFile(TestInitramfs.Busybox, "busybox-static");
        using var dir = new ScratchDirectory("srt-jailer");
        Directory.CreateDirectory(dir.Combine("root"));
        var cgroupPath = $"/sandboxrt-test-{Guid.NewGuid():N}"[..30] + "/jailed";
        var cgroup = HostCgroup.Create(cgroupPath);
        var (kept, keptWrite) = Pipes.Create();
        var (execWatch, stray) = Pipes.Create();
        int pid = 0;
        try
        {
            using (kept)
            using (keptWrite)
            using (execWatch)
            using (stray)
            using (var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite))
            {
                List<string> args = [TestEnvironment.Jailer, .. cgroup.Directories.SelectMany(d => new[] { "--cgroup", d }),
                    "--root", dir.Combine("root"), "--bind-ro", TestInitramfs.Busybox, "/bin/busybox", "--dev", "/dev/null",
                    "--uid", TestUid.ToString(), "--gid", TestUid.ToString(), "--keep-fd", "5",
                    "--", "/bin/busybox", "sleep", "120"];
                // fd 7 is handed to the jailer but not kept: it must not reach the program. It is the write
                // end of a pipe, so its end of file here is the moment the jailer exec'd the program.
                pid = ProcessSpawner.Spawn(new SpawnOptions
                {
                    Path = TestEnvironment.Jailer,
                    Arguments = args,
                    Descriptors = [(devNull, 0), (devNull, 1), (devNull, 2), (keptWrite, 5), (stray, 7)],
                });
                stray.Dispose();
                using var watch = FileDescriptors.ToStream(execWatch, FileAccess.Read);
                Assert.Equal(0, await Task.Run(() => watch.Read(new byte[1])).WaitAsync(TimeSpan.FromSeconds(30)));
            }

            var status = new ProcStatus(pid);
            Assert.Equal([TestUid, TestUid, TestUid, TestUid], status.Ids("Uid"));
            Assert.Equal([TestUid, TestUid, TestUid, TestUid], status.Ids("Gid"));
            Assert.Equal("", status["Groups"]);
            foreach (var set in new[] { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" })
                Assert.True(status.Capabilities(set) == 0, $"{set} is {status[set]}");
            Assert.Equal("1", status["NoNewPrivs"]);
            Assert.Equal([0, 1, 2, 5], ProcStatus.Descriptors(pid));
            Assert.All(ProcStatus.Cgroups(pid), c => Assert.Equal(cgroupPath, c.Path));

            // The root holds what was bound and made, nothing of the host's.
            Assert.Equal(["bin", "dev"], ProcStatus.RootEntries(pid));
            Assert.False(File.Exists($"/proc/{pid}/root/etc/shadow"));
            Assert.False(Directory.Exists($"/proc/{pid}/root/root"));
            Assert.False(Directory.Exists($"/proc/{pid}/root/proc"));
            Assert.False(Directory.Exists($"/proc/{pid}/root/run"));
            Assert.Equal(new DeviceNode(true, 1, 3), DeviceNode.Of($"/proc/{pid}/root/dev/null"));
            // Everything it sees is read-only and nosuid; the binds are nodev too.
            var mounts = File.ReadAllLines($"/proc/{pid}/mountinfo").Select(l => l.Split(' ')).ToList();
            Assert.Equal(["/", "/bin/busybox"], mounts.Select(m => m[4]).Order(StringComparer.Ordinal));
            Assert.All(mounts, m => Assert.Contains("ro", m[5].Split(',')));
            Assert.All(mounts, m => Assert.Contains("nosuid", m[5].Split(',')));
            Assert.Contains("nodev", mounts.Single(m => m[4] == "/bin/busybox")[5].Split(','));
            // The jail's mounts stayed in its own namespace.
            Assert.DoesNotContain(File.ReadAllLines("/proc/self/mountinfo"), l => l.Contains(dir.Path));
        }
        finally
        {
            if (pid > 0)
            {
                ChildProcesses.Signal(pid, 9);
                await Task.Run(() => ChildProcesses.TryWait(pid, true, out _, out _));
            }
            cgroup.Remove();
        }
        Assert.All(cgroup.Created, d => Assert.False(Directory.Exists(d), $"{d} was left behind"));
    }

    [Fact]
    public async Task With_pid_ns_the_program_is_pid_1_of_its_own_namespace_sees_no_host_process_and_keeps_its_host_pid()
    {
        TestEnvironment.RequireRoot();
        TestEnvironment.RequireFile(TestEnvironment.Jailer, "sandboxrt-jailer (make build)");
        TestEnvironment.RequireFile(TestInitramfs.Busybox, "busybox-static");
        using var dir = new ScratchDirectory("srt-jailer");
        Directory.CreateDirectory(dir.Combine("root"));
        Directory.CreateDirectory(dir.Combine("empty"));
        var (input, inputWrite) = Pipes.Create();
        var (output, outputWrite) = Pipes.Create();
        int pid = 0;
        try
        {
            // A root shell with every capability (no --uid): only the pid namespace stands between it and
            // this test's process. It mounts a /proc of its namespace, lists it, tries to signal us, then
            // waits for its stdin to close, so that the host can look at it meanwhile.
            var script = $"/bin/busybox mount -t proc proc /proc && echo /proc/[0-9]*; kill -0 {Environment.ProcessId} 2>/dev/null; echo kill=$?; read x; exit 0";
            using (input)
            using (outputWrite)
            {
                pid = ProcessSpawner.Spawn(new SpawnOptions
                {
                    Path = TestEnvironment.Jailer,
                    Arguments = [TestEnvironment.Jailer, "--pid-ns", "--root", dir.Combine("root"), "--bind-ro", TestInitramfs.Busybox, "/bin/busybox",
                        "--bind-ro", dir.Combine("empty"), "/proc", "--dev", "/dev/null", "--", "/bin/busybox", "sh", "-c", script],
                    Descriptors = [(input, 0), (outputWrite, 1), (outputWrite, 2)],
                    NewPidNamespace = true,
                });
            }
            using var reader = new StreamReader(FileDescriptors.ToStream(output, FileAccess.Read));
            var view = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var kill = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal("/proc/1", view); // its own namespace holds itself only
            Assert.Equal("kill=1", kill); // no such process

            // The host knows it by the pid it spawned: NSpid is that, then 1 in the namespace below ours.
            Assert.Equal([pid.ToString(), "1"], new ProcStatus(pid)["NSpid"].Split('\t'));
            Assert.NotEqual(Namespaces.Identity("/proc/self/ns/pid"), Namespaces.Identity($"/proc/{pid}/ns/pid"));
            Assert.Contains("/bin/busybox", File.ReadAllText($"/proc/{pid}/cmdline"));

            inputWrite.Dispose();
            var status = await Task.Run(() => { ChildProcesses.TryWait(pid, true, out _, out var s); return s; }).WaitAsync(TimeSpan.FromSeconds(30));
            pid = 0;
            Assert.True(status.Exited && status.ShellStatus == 0, $"the jailed shell ended with {status}");
            // Its /proc stayed in its mount namespace.
            Assert.DoesNotContain(File.ReadAllLines("/proc/self/mountinfo"), l => l.Contains(dir.Path));
        }
        finally
        {
            inputWrite.Dispose();
            output.Dispose();
            if (pid > 0)
            {
                ChildProcesses.Signal(pid, 9);
                await Task.Run(() => ChildProcesses.TryWait(pid, true, out _, out _));
            }
        }
    }

    [Fact]
    public async Task A_program_that_stays_root_keeps_only_the_given_bounding_set()
    {
        TestEnvironment.RequireRoot();
        TestEnvironment.RequireFile(TestEnvironment.Jailer, "sandboxrt-jailer (make build)");
        using var dir = new ScratchDirectory("srt-jailer");
        var output = dir.Combine("status");
        var run = await RunJailerAsync(["--caps", "0,1,21", "--", "/bin/sh", "-c", $"grep -E 'Cap|NoNewPrivs|^Uid' /proc/self/status > {output}"]);
        Assert.Equal(0, run.ExitCode);
        var lines = File.ReadAllLines(output).Select(l => l.Split(':', 2)).ToDictionary(p => p[0], p => p[1].Trim());
        const ulong Kept = (1UL << 0) | (1UL << 1) | (1UL << 21);
        Assert.Equal(Kept, Convert.ToUInt64(lines["CapBnd"], 16));
        Assert.Equal(Kept, Convert.ToUInt64(lines["CapEff"], 16));
        Assert.Equal(0UL, Convert.ToUInt64(lines["CapInh"], 16));
        Assert.Equal(0UL, Convert.ToUInt64(lines["CapAmb"], 16));
        Assert.Equal("1", lines["NoNewPrivs"]);
        Assert.StartsWith("0", lines["Uid"]);
    }

    [Theory]
    [InlineData("--uid 5 -- /bin/true", 2, "--uid and --gid go together")]
    [InlineData("--root /tmp -- bin/true", 2, "not an absolute path")]
    [InlineData("--bind-ro /x /y -- /bin/true", 2, "need --root")]
    [InlineData("--frobnicate -- /bin/true", 2, "unknown argument --frobnicate")]
    [InlineData("--cgroup /sys/fs/cgroup/no-such-cgroup -- /bin/true", 125, "join the cgroups: write")]
    [InlineData("-- /no/such/program", 125, "execve /no/such/program")]
    [InlineData("--pid-ns -- /bin/true", 125, "check the pid namespace: --pid-ns: this is pid")]
    public async Task Bad_arguments_and_failed_steps_say_what_failed(string arguments, int exitCode, string message)
    {
        TestEnvironment.RequireRoot();
        TestEnvironment.RequireFile(TestEnvironment.Jailer, "sandboxrt-jailer (make build)");
        var run = await RunJailerAsync(arguments.Split(' '));
        Assert.Equal(exitCode, run.ExitCode);
        Assert.Contains("sandboxrt-jailer: ", run.Stderr);
        Assert.Contains(message, run.Stderr);
    }

    [Fact]
    public async Task A_missing_bind_source_fails_before_exec_naming_the_mount()
    {
        TestEnvironment.RequireRoot();
        TestEnvironment.RequireFile(TestEnvironment.Jailer, "sandboxrt-jailer (make build)");
        using var dir = new ScratchDirectory("srt-jailer");
        Directory.CreateDirectory(dir.Combine("root"));
        var run = await RunJailerAsync(["--root", dir.Combine("root"), "--bind-ro", "/no/such/file", "/x", "--", "/bin/true"]);
        Assert.Equal(125, run.ExitCode);
        Assert.Contains($"build the jail in {dir.Combine("root")}: mount(\"/no/such/file\"", run.Stderr);
        Assert.DoesNotContain(File.ReadAllLines("/proc/self/mountinfo"), l => l.Contains(dir.Path));
    }

    private static async Task<(int ExitCode, string Stderr)> RunJailerAsync(IEnumerable<string> args)
    {
        using var process = Process.Start(new ProcessStartInfo(TestEnvironment.Jailer, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await stderr);
    }
}
