using System.Text.Json;
using SandboxRt.IntegrationTests.Support;
using SandboxRt.Oci.Spec;

namespace SandboxRt.IntegrationTests.Containers;

/// <summary>The runc verbs through the real CLI, one call per process as engines make them.</summary>
[Trait("Tier", "vm")]
public sealed class RuncCliTests
{
    private static Task<CliRun> Cli(ScratchDirectory state, params string[] args) =>
        args[0] == "create" || args[0] == "run" && (args.Contains("--detach") || args.Contains("-d")) // the relay keeps the inherited stdio
            ? CliRun.RunLeavingRelayAsync(args, state.Path) : CliRun.RunAsync(args, root: state.Path);

    /// <summary>
    /// A --root with a space and a comma: its state directory reaches QEMU's options (commas doubled) and
    /// virtiofsd's -o source= (commas escaped with a backslash; virtiofsd looked for the path up to the
    /// comma, and the clone's restore then waited out boot_timeout_seconds).
    /// </summary>
    [Fact]
    public async Task A_root_with_a_space_and_a_comma_runs_a_container_from_the_share()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var scratch = new ScratchDirectory("srt-state");
        var root = scratch.Combine("r o,t=1");
        using var bundle = new TestBundle(s => s.Process!.Args = ["sh", "-c", "echo ran from $(cat /proc/mounts | grep -c ' / virtiofs ') virtio-fs root"]);
        var id = "comma-" + Guid.NewGuid().ToString("N")[..8];

        var run = await CliRun.RunAsync(["run", "--bundle", bundle.Directory, id], root: root);

        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Stderr}");
        Assert.Equal("ran from 1 virtio-fs root\n", run.Stdout);
        Assert.DoesNotContain("booting cold", run.Stderr);
        LeakCheck.AssertNothingLeft(root, id);
    }

    /// <summary>
    /// A --console-socket that is not a listening socket fails create with the reason, and leaves nothing.
    /// The relay used to make the host pty its controlling terminal before sending the master, so closing
    /// the master after the refused connect hung its session up: SIGHUP killed it before it reported, and
    /// create said only "the relay process exited before reporting (see the log)", a log it had removed.
    /// </summary>
    [Fact]
    public async Task A_console_socket_that_refuses_the_terminal_fails_create_with_the_reason()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        var notASocket = state.Combine("console.sock");
        File.WriteAllText(notASocket, "a regular file");
        using var bundle = new TestBundle(s => { s.Process!.Terminal = true; s.Process.Args = ["sh"]; });
        var id = "console-" + Guid.NewGuid().ToString("N")[..8];

        var create = await Cli(state, "create", "--console-socket", notASocket, "--bundle", bundle.Directory, id);

        Assert.Equal(1, create.ExitCode);
        Assert.Contains("--console-socket: connect(", create.Stderr); // runc's log format escapes the quotes around the path
        Assert.Contains(notASocket, create.Stderr);
        Assert.Contains("ECONNREFUSED", create.Stderr);
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    [Fact]
    public async Task The_lifecycle_verbs_behave_as_runcs()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s => s.Process!.Args = ["sh", "-c", "echo out; trap 'echo bye; exit 9' TERM; while true; do sleep 0.1; done"]);
        var id = "cli-" + Guid.NewGuid().ToString("N")[..8];
        var pidFile = state.Combine("init.pid");

        var create = await Cli(state, "create", "--bundle", bundle.Directory, "--pid-file", pidFile, id);
        Assert.Equal(0, create.ExitCode);
        int pid = int.Parse(File.ReadAllText(pidFile));
        Assert.True(SandboxRt.Interop.ChildProcesses.Exists(pid));
        var created = JsonDocument.Parse((await Cli(state, "state", id)).Stdout).RootElement;
        Assert.Equal("created", created.GetProperty("status").GetString());
        Assert.Equal(pid, created.GetProperty("pid").GetInt32());
        Assert.Equal(bundle.Directory, created.GetProperty("bundle").GetString());
        Assert.Contains("already exists", (await Cli(state, "create", "--bundle", bundle.Directory, id)).Stderr);

        Assert.Equal(0, (await Cli(state, "start", id)).ExitCode);
        Assert.Equal("running", JsonDocument.Parse((await Cli(state, "state", id)).Stdout).RootElement.GetProperty("status").GetString());
        Assert.Contains("cannot start", (await Cli(state, "start", id)).Stderr);

        var exec = await Cli(state, "exec", id, "sh", "-c", "echo from-exec; exit 4");
        Assert.Equal(4, exec.ExitCode);
        Assert.Equal("from-exec\n", exec.Stdout);
        Assert.Equal(127, (await Cli(state, "exec", id, "no-such-binary")).ExitCode);

        var table = await Cli(state, "ps", id);
        Assert.Contains("sh -c echo out", table.Stdout);
        Assert.Equal([pid], JsonSerializer.Deserialize<int[]>((await Cli(state, "ps", "--format", "json", id)).Stdout)!);
        var list = JsonDocument.Parse((await Cli(state, "list", "--format", "json")).Stdout).RootElement;
        Assert.Equal(id, list[0].GetProperty("id").GetString());

        Assert.Equal(0, (await Cli(state, "pause", id)).ExitCode);
        Assert.Equal("paused", JsonDocument.Parse((await Cli(state, "state", id)).Stdout).RootElement.GetProperty("status").GetString());
        Assert.Equal(0, (await Cli(state, "resume", id)).ExitCode);
        Assert.Equal(0, (await Cli(state, "update", "--memory", "104857600", "--pids-limit", "50", id)).ExitCode);
        var stats = JsonDocument.Parse((await Cli(state, "events", "--stats", id)).Stdout).RootElement;
        Assert.Equal("stats", stats.GetProperty("type").GetString());
        Assert.Equal(104857600, stats.GetProperty("data").GetProperty("memory").GetProperty("usage").GetProperty("limit").GetInt64());
        Assert.Equal(50, stats.GetProperty("data").GetProperty("pids").GetProperty("limit").GetInt64());

        Assert.Contains("not stopped", (await Cli(state, "delete", id)).Stderr);
        Assert.Equal(0, (await Cli(state, "kill", id, "SIGTERM")).ExitCode);
        // bounded generously: under TCG with other VM tests running beside this one, 10 s was once not enough
        for (int i = 0; i < 300 && SandboxRt.Interop.ChildProcesses.Exists(pid); i++)
            await Task.Delay(100);
        Assert.False(SandboxRt.Interop.ChildProcesses.Exists(pid), "the relay exits with the container");
        Assert.Equal("stopped", JsonDocument.Parse((await Cli(state, "state", id)).Stdout).RootElement.GetProperty("status").GetString());
        Assert.Contains("not running", (await Cli(state, "kill", id, "9")).Stderr);
        Assert.Equal(0, (await Cli(state, "delete", id)).ExitCode);
        Assert.Contains("does not exist", (await Cli(state, "state", id)).Stderr);
        Assert.Equal(0, (await Cli(state, "delete", "--force", id)).ExitCode);
        LeakCheck.AssertNothingLeft(state.Path, id);
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(state.Path), p => !p.EndsWith("init.pid"));
    }

    /// <summary>
    /// runc exec's rlimits: an exec'd process that names none gets the container's (config.json's), one that
    /// names any keeps its own list, and what is not named is inherited from the runtime's caller, here the
    /// test (open files capped at the guest's fs.nr_open). Before, an exec'd process had the guest agent's
    /// limits for whatever it did not name.
    /// </summary>
    [Fact]
    public async Task An_exec_gets_its_own_rlimits_or_the_containers_and_inherits_the_rest_from_the_caller()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s =>
        {
            s.Process!.Args = ["sleep", "600"];
            s.Process.Rlimits = [new Rlimit { Type = "RLIMIT_NPROC", Soft = 100, Hard = 200 }];
        });
        var id = "cli-" + Guid.NewGuid().ToString("N")[..8];
        const string probe = "echo $(ulimit -Sn):$(ulimit -Hn) $(ulimit -Su):$(ulimit -Hu)";
        Assert.Equal(0, (await Cli(state, "create", "--bundle", bundle.Directory, id)).ExitCode);
        try
        {
            Assert.Equal(0, (await Cli(state, "start", id)).ExitCode);
            var inherited = ProcessLimits.Ours("Max open files", capAt: 1048576, asShell: true);
            var bare = await Cli(state, "exec", "--process", WriteProcess(state, "bare", new Process { Args = ["sh", "-c", probe], Cwd = "/" }), id);
            Assert.True(bare.ExitCode == 0, bare.Stderr);
            Assert.Equal($"{inherited} 100:200\n", bare.Stdout);
            var own = await Cli(state, "exec", "--process", WriteProcess(state, "own", new Process
            {
                Args = ["sh", "-c", probe],
                Cwd = "/",
                Rlimits = [new Rlimit { Type = "RLIMIT_NOFILE", Soft = 300, Hard = 400 }],
            }), id);
            Assert.True(own.ExitCode == 0, own.Stderr);
            Assert.Equal($"300:400 {ProcessLimits.Ours("Max processes", asShell: true)}\n", own.Stdout);
        }
        finally
        {
            await Cli(state, "delete", "--force", id);
        }
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    private static string WriteProcess(ScratchDirectory state, string name, Process process)
    {
        var path = state.Combine(name + ".json");
        File.WriteAllText(path, JsonSerializer.Serialize(process, SandboxRt.Oci.Spec.OciJsonContext.Default.Process));
        return path;
    }

    /// <summary>
    /// `sandboxrt update` (what `docker update` runs) sizes the container's VM both ways, as the shim sizes a
    /// pod's: limits that rise grow it by hot-plug before the cgroup changes; limits that fall, or go, give the
    /// memory back (device_del, the guest ejects) after the cgroup has them, down to the configured default,
    /// below the size the container was created with (its limits were hot-plugged after a boot at the
    /// default). vCPUs stay plugged and online under TCG (QemuHotplug says why). What the guest has is read
    /// inside the container, by exec.
    /// </summary>
    [Fact]
    public async Task Update_grows_the_vm_with_the_limits_and_shrinks_it_when_they_fall()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s =>
        {
            s.Process!.Args = ["sh", "-c", "while true; do sleep 1; done"];
            s.Linux!.Resources!.Memory = new LinuxMemory { Limit = 256L << 20 };
        });
        var id = "upd-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(0, (await Cli(state, "create", "--bundle", bundle.Directory, "--pid-file", state.Combine("init.pid"), id)).ExitCode);
        try
        {
            Assert.Equal(0, (await Cli(state, "start", id)).ExitCode);
            async Task<(long MemTotalMib, int Cpus, string MemoryMax)> GuestAsync()
            {
                var probe = await Cli(state, "exec", id, "sh", "-c", "grep MemTotal /proc/meminfo; nproc; cat /sys/fs/cgroup/memory.max");
                Assert.True(probe.ExitCode == 0, probe.Stderr);
                var lines = probe.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                return (long.Parse(lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024, int.Parse(lines[1]), lines[2].Trim());
            }
            async Task UpdateAsync(params string[] flags)
            {
                var update = await Cli(state, ["update", .. flags, id]);
                Assert.True(update.ExitCode == 0, $"update {string.Join(' ', flags)}: {update.Stderr}");
            }
            var log = TestContext.Current.TestOutputHelper;
            int grownCpus = Math.Min(2, Environment.ProcessorCount);
            bool tcg = SandboxRt.Runtime.Hypervisors.HypervisorFactory.Create(VmTestConfig.Load()).Capabilities.Accelerator.IsTcg;

            var created = await GuestAsync(); // the default plus the bundle's 256 MiB
            log?.WriteLine($"MemTotal as created with 256 MiB: {created.MemTotalMib} MiB; nproc {created.Cpus}");
            Assert.Equal((1, "268435456"), (created.Cpus, created.MemoryMax));

            await UpdateAsync("--memory", (1L << 30).ToString(), "--cpu-quota", "100000", "--cpu-period", "100000");
            var grown = await GuestAsync();
            log?.WriteLine($"MemTotal with --memory 1g: {grown.MemTotalMib} MiB; nproc {grown.Cpus}");
            Assert.InRange(grown.MemTotalMib - created.MemTotalMib, 760, 776);
            Assert.Equal((grownCpus, "1073741824"), (grown.Cpus, grown.MemoryMax));

            // the limits fall: the VM gives back all but the new 256 MiB (the cgroup has its lower limit first)
            await UpdateAsync("--memory", (256L << 20).ToString(), "--cpu-quota", "-1");
            var lowered = await GuestAsync();
            log?.WriteLine($"MemTotal with --memory 256m: {lowered.MemTotalMib} MiB; nproc {lowered.Cpus}");
            Assert.InRange(lowered.MemTotalMib - created.MemTotalMib, -2, 2);
            Assert.Equal((tcg ? grownCpus : 1, "268435456"), (lowered.Cpus, lowered.MemoryMax));

            // an update that names no memory limit keeps the last one (not the bundle's)
            await UpdateAsync("--pids-limit", "100");
            Assert.InRange((await GuestAsync()).MemTotalMib - created.MemTotalMib, -2, 2);

            // the limit goes: the VM is back at the configured default, below the size it was created with
            await UpdateAsync("--memory", "-1");
            var unlimited = await GuestAsync();
            log?.WriteLine($"MemTotal with the limit removed: {unlimited.MemTotalMib} MiB");
            Assert.InRange(created.MemTotalMib - unlimited.MemTotalMib, 250, 262);
            Assert.Equal("max", unlimited.MemoryMax);

            // and what was given back can be taken again
            await UpdateAsync("--memory", (512L << 20).ToString());
            Assert.InRange((await GuestAsync()).MemTotalMib - unlimited.MemTotalMib, 500, 520);
        }
        finally
        {
            await Cli(state, "delete", "--force", id);
        }
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    [Fact]
    public async Task Hooks_run_where_the_spec_says_with_the_state_on_stdin_and_poststart_and_poststop_are_those_of_create()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        var record = state.Combine("hooks.log");
        using var bundle = new TestBundle(s =>
        {
            s.Root!.Readonly = false;
            s.Process!.Args = ["sh", "-c", "cat /hook-create /hook-start; sleep 0.5"];
        });
        var hostHook = bundle.WriteFile("host-hook.sh", $"#!/bin/sh\necho \"$1 $(cat)\" >> {record}\n");
        File.SetUnixFileMode(hostHook, (UnixFileMode)0b111_101_101);
        var guestHook = Path.Combine(bundle.Rootfs, "bin", "guest-hook.sh");
        File.WriteAllText(guestHook, "#!/bin/sh\ncat > /hook-$1\n");
        File.SetUnixFileMode(guestHook, (UnixFileMode)0b111_101_101);
        Hook Host(string name) => new() { Path = hostHook, Args = [hostHook, name] };
        Hook Guest(string name) => new() { Path = "/bin/guest-hook.sh", Args = ["/bin/guest-hook.sh", name] };
        bundle.Spec.Hooks = new Hooks
        {
            Prestart = [Host("prestart")], CreateRuntime = [Host("createRuntime")], Poststart = [Host("poststart")], Poststop = [Host("poststop")],
            CreateContainer = [Guest("create")], StartContainer = [Guest("start")],
        };
        bundle.Save();
        var id = "hooks-" + Guid.NewGuid().ToString("N")[..8];
        var run = await Cli(state, "create", "--bundle", bundle.Directory, id);
        Assert.Equal(0, run.ExitCode);
        // as runc, start and delete run the hooks the container was created with, not the bundle's of the moment
        bundle.Spec.Hooks = null;
        bundle.Save();
        Assert.Equal(0, (await Cli(state, "start", id)).ExitCode);
        for (int i = 0; i < 100 && JsonDocument.Parse((await Cli(state, "state", id)).Stdout).RootElement.GetProperty("status").GetString() != "stopped"; i++)
            await Task.Delay(200);
        Assert.Equal(0, (await Cli(state, "delete", id)).ExitCode);

        var lines = File.ReadAllLines(record);
        Assert.Equal(["prestart", "createRuntime", "poststart", "poststop"], lines.Select(l => l.Split(' ')[0]));
        Assert.All(lines, l => Assert.Contains($"\"id\":\"{id}\"", l));
        Assert.Contains("\"status\":\"creating\"", lines[0]);
        Assert.Contains("\"status\":\"stopped\"", lines[3]);
        // The in-container hooks wrote into the (writable, shared) rootfs, with the guest's view of the state.
        Assert.Contains($"\"id\":\"{id}\"", File.ReadAllText(Path.Combine(bundle.Rootfs, "hook-create")));
        Assert.Contains($"\"id\":\"{id}\"", File.ReadAllText(Path.Combine(bundle.Rootfs, "hook-start")));
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    [Fact]
    public async Task A_failing_hook_fails_create_and_nothing_is_left()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s => s.Hooks = new Hooks { CreateRuntime = [new Hook { Path = "/bin/false" }] });
        var id = "badhook-" + Guid.NewGuid().ToString("N")[..8];
        var create = await Cli(state, "create", "--bundle", bundle.Directory, id);
        Assert.NotEqual(0, create.ExitCode);
        Assert.Contains("hooks.createRuntime[0] (/bin/false) failed", create.Stderr);
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    /// <summary>
    /// linux.resources.cpu.cpus pins the VM on the host, through its host cgroup (HostCpuset): CPUs the
    /// host has not fail create as runc's cgroup write does, before any VM boots, naming the field, and
    /// without a linux.cgroupsPath there is no cgroup of the sandbox's to pin; either leaves nothing (the
    /// cgroup made for it included).
    /// </summary>
    [Fact]
    public async Task Cpus_the_host_cannot_pin_the_vm_to_fail_create_naming_the_field_and_nothing_is_left()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        var cgroupsPath = "/sandboxrt-test-" + Guid.NewGuid().ToString("N")[..12];
        using var bundle = new TestBundle(s =>
        {
            s.Linux!.CgroupsPath = cgroupsPath;
            s.Linux.Resources = new LinuxResources { Cpu = new LinuxCpu { Cpus = "4000" } };
        });
        var id = "cpus-" + Guid.NewGuid().ToString("N")[..8];

        var create = await Cli(state, "create", "--bundle", bundle.Directory, id);

        Assert.Equal(1, create.ExitCode);
        Assert.Contains("linux.resources.cpu.cpus \\\"4000\\\": the host cgroup refuses it: ", create.Stderr); // runc's log format escapes the quotes
        Assert.DoesNotContain("guest console", create.Stderr);
        LeakCheck.AssertNothingLeft(state.Path, id);
        var left = Directory.EnumerateDirectories("/sys/fs/cgroup").Append("/sys/fs/cgroup").Select(d => d + cgroupsPath).Where(Directory.Exists).ToList();
        Assert.True(left.Count == 0, "cgroups left behind: " + string.Join(", ", left));

        using var unplaced = new TestBundle(s =>
        {
            s.Linux!.CgroupsPath = null;
            s.Linux.Resources = new LinuxResources { Cpu = new LinuxCpu { Cpus = "0" } };
        });
        create = await Cli(state, "create", "--bundle", unplaced.Directory, id);
        Assert.Equal(1, create.ExitCode);
        Assert.Contains("linux.resources.cpu.cpus: the VM is pinned to host CPUs and memory nodes through its host cgroup, and the spec names no linux.cgroupsPath", create.Stderr);
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    [Fact]
    public async Task A_host_namespace_path_other_than_the_pods_network_is_refused_clearly()
    {
        TestEnvironment.RequireRoot();
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s => s.Linux!.Namespaces!.First(n => n.Type == "ipc").Path = "/proc/1/ns/ipc");
        var create = await Cli(state, "create", "--bundle", bundle.Directory, "hostns");
        Assert.NotEqual(0, create.ExitCode);
        Assert.Contains("linux.namespaces[2].path: names a host ipc namespace; a container in its own VM cannot join it", create.Stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(state.Path));
    }

    /// <summary>
    /// An exec that fails at start (E2BIG: 2 MB of environment, which create cannot foresee) ends the
    /// container's process, and its relay, the process the engine waits for, has exited by the time start
    /// fails: containerd's runc shim keeps the task "created" until that pid exits, and Docker deletes the
    /// task the moment start fails ("task must be stopped before deletion" left `docker run --rm`'s VM
    /// running, with Docker's record of it gone).
    /// </summary>
    [Fact]
    public async Task A_start_whose_exec_fails_returns_after_the_relay_exited_and_delete_leaves_nothing()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s =>
        {
            s.Process!.Args = ["true"];
            s.Process.Env = [.. s.Process.Env ?? [], .. Enumerable.Range(0, 20000).Select(i => $"V{i}={new string('x', 100)}")];
        });
        var id = "e2big-" + Guid.NewGuid().ToString("N")[..8];
        var pidFile = state.Combine("init.pid");
        Assert.Equal(0, (await Cli(state, "create", "--bundle", bundle.Directory, "--pid-file", pidFile, id)).ExitCode);
        int relay = int.Parse(File.ReadAllText(pidFile));

        // the relay's state read by the shell the moment start has exited (before, the relay exited only
        // after start: it records the exit under the container's lock, which start held to its end)
        var start = await Command.RunAsync("/bin/sh", ["-c", $"\"$0\" --root \"$1\" start {id}; rc=$?; cat /proc/{relay}/stat 2>/dev/null || echo gone; exit $rc", CliRun.Binary, state.Path]);
        Assert.Equal(1, start.ExitCode);
        Assert.Contains("/bin/true", start.Stderr);
        Assert.Contains("argument list too long (E2BIG)", start.Stderr);
        var stat = start.Stdout.Trim();
        Assert.True(stat == "gone" || stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z'), $"the relay still ran when the failed start returned: {stat}");
        Assert.Equal("stopped", JsonDocument.Parse((await Cli(state, "state", id)).Stdout).RootElement.GetProperty("status").GetString());
        Assert.Equal(0, (await Cli(state, "delete", id)).ExitCode); // not --force: it is stopped
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    /// <summary>
    /// runc run --detach: create and start, returning with the container running on with its relay (the
    /// pid in --pid-file); a start that fails (no such program) fails the run with the reason and leaves
    /// nothing, as runc's does.
    /// </summary>
    [Fact]
    public async Task Run_detach_returns_with_the_container_running_and_one_that_cannot_start_leaves_nothing()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s => s.Process!.Args = ["sleep", "600"]);
        var id = "detach-" + Guid.NewGuid().ToString("N")[..8];
        var pidFile = state.Combine("run.pid");
        var run = await Cli(state, "run", "--detach", "--bundle", bundle.Directory, "--pid-file", pidFile, id);
        Assert.True(run.ExitCode == 0, run.Stderr);
        try
        {
            int relay = int.Parse(File.ReadAllText(pidFile));
            Assert.True(ProcessProbe.IsRunning(relay), "the pid in --pid-file is not running");
            var container = JsonDocument.Parse((await Cli(state, "state", id)).Stdout).RootElement;
            Assert.Equal("running", container.GetProperty("status").GetString());
            Assert.Equal(relay, container.GetProperty("pid").GetInt32());
            Assert.Equal("in-the-vm\n", (await Cli(state, "exec", id, "echo", "in-the-vm")).Stdout);
        }
        finally
        {
            Assert.Equal(0, (await Cli(state, "delete", "--force", id)).ExitCode);
        }
        LeakCheck.AssertNothingLeft(state.Path, id);

        using var broken = new TestBundle(s => s.Process!.Args = ["no-such-program"]);
        var failed = await Cli(state, "run", "-d", "--bundle", broken.Directory, id);
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains("executable file not found", failed.Stderr);
        Assert.Contains("does not exist", (await Cli(state, "state", id)).Stderr);
        LeakCheck.AssertNothingLeft(state.Path, id);
    }
}
