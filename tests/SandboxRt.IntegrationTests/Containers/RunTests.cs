using System.Security.Cryptography;
using SandboxRt.IntegrationTests.Support;
using SandboxRt.Oci.Spec;

namespace SandboxRt.IntegrationTests.Containers;

/// <summary>`sandboxrt run` end to end: a busybox container inside a real VM, through the real CLI.</summary>
[Trait("Tier", "vm")]
public sealed class RunTests
{
    private static string NewId() => "run-" + Guid.NewGuid().ToString("N")[..8];

    private static async Task<CliRun> RunAsync(TestBundle bundle, ScratchDirectory state, string id, Stream? stdin = null)
    {
        var run = await CliRun.RunAsync(["run", "--bundle", bundle.Directory, id], stdin, root: state.Path);
        TestContext.Current.TestOutputHelper?.WriteLine($"exit {run.ExitCode} after {run.Elapsed.TotalSeconds:F1} s\nstdout: {(run.Stdout.Length > 4000 ? run.Stdout[..4000] + "..." : run.Stdout)}\nstderr: {run.Stderr}");
        LeakCheck.AssertNothingLeft(state.Path, id);
        return run;
    }

    [Fact]
    public async Task Output_comes_from_inside_the_vm_and_the_exit_code_is_the_containers()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s => s.Process!.Args = ["sh", "-c", "echo hello from a VM; uname -r; echo to-stderr >&2; exit 7"]);
        var run = await RunAsync(bundle, state, NewId());
        Assert.Equal(7, run.ExitCode);
        var lines = run.Stdout.Split('\n');
        Assert.Equal("hello from a VM", lines[0]);
        Assert.StartsWith("6.1.", lines[1]);
        Assert.NotEqual(TestEnvironment.HostKernelRelease, lines[1]);
        Assert.Contains("to-stderr", run.Stderr);
    }

    /// <summary>
    /// tmpfs mounts as runc (1.1.8+) and crun make them: over a directory of the image and without a mode=
    /// of its own, a tmpfs takes that directory's mode (before: tmpfs's 1777, so a --read-only container's
    /// /run was world-writable); with mode=, that mode; over a new directory, tmpfs's. tmpcopyup (podman's
    /// default for --tmpfs and --read-only) starts the tmpfs with a copy of what the directory held, with
    /// owners, modes and symlinks (before: the tmpfs was empty). The image's files stay as they were.
    /// </summary>
    [Fact]
    public async Task Tmpfs_mounts_take_the_covered_directorys_mode_and_tmpcopyup_copies_its_content()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s =>
        {
            s.Mounts!.Add(new Mount { Destination = "/data", Type = "tmpfs", Source = "tmpfs", Options = ["rw", "nosuid", "nodev", "tmpcopyup"] });
            s.Mounts.Add(new Mount { Destination = "/plain", Type = "tmpfs", Source = "tmpfs", Options = ["nosuid"] });
            s.Mounts.Add(new Mount { Destination = "/moded", Type = "tmpfs", Source = "tmpfs", Options = ["mode=1777"] });
            s.Mounts.Add(new Mount { Destination = "/fresh", Type = "tmpfs", Source = "tmpfs" });
            s.Process!.Args = ["sh", "-c", "stat -c '%n %a %u:%g' /data /data/sub /data/sub/file /plain /moded /fresh && cat /data/sub/file && " +
                "stat -c '%N' /data/link && echo changed > /data/sub/file && cat /data/sub/file && grep -c ' /data tmpfs ' /proc/mounts"];
        });
        var sub = Directory.CreateDirectory(Path.Combine(bundle.Rootfs, "data", "sub")).FullName;
        File.SetUnixFileMode(Path.GetDirectoryName(sub)!, (UnixFileMode)0b111_101_000); // 0750
        File.SetUnixFileMode(sub, (UnixFileMode)0b111_111_111);
        var file = Path.Combine(sub, "file");
        File.WriteAllText(file, "from the image\n");
        File.SetUnixFileMode(file, (UnixFileMode)0b110_100_110); // 0646: the container's root has no CAP_DAC_OVERRIDE
        SandboxRt.Interop.FileSystem.Chown(file, 1000, 1000);
        File.CreateSymbolicLink(Path.Combine(bundle.Rootfs, "data", "link"), "sub/file");
        File.SetUnixFileMode(Directory.CreateDirectory(Path.Combine(bundle.Rootfs, "plain")).FullName, (UnixFileMode)0b111_001_000); // 0710
        Directory.CreateDirectory(Path.Combine(bundle.Rootfs, "moded"));

        var run = await RunAsync(bundle, state, NewId());
        Assert.Equal(0, run.ExitCode);
        Assert.Equal([
            "/data 750 0:0", "/data/sub 777 0:0", "/data/sub/file 646 1000:1000", "/plain 710 0:0", "/moded 1777 0:0", "/fresh 1777 0:0",
            "from the image", "'/data/link' -> 'sub/file'", "changed", "1",
        ], run.Stdout.TrimEnd('\n').Split('\n'));
        Assert.Equal("from the image\n", File.ReadAllText(file));
    }

    [Fact]
    public async Task The_container_starts_with_no_ignored_or_blocked_signals_so_a_broken_pipe_ends_the_writer()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        // The agent is a .NET process, which ignores SIGPIPE; an ignored signal survives execve. With it
        // ignored, `yes` gets EPIPE once head has exited, and busybox's yes spins on it forever.
        using var bundle = new TestBundle(s => s.Process!.Args = ["sh", "-c", "grep -E '^Sig(Ign|Blk)' /proc/self/status; yes | head -c 300000 | wc -c"]);
        var run = await RunAsync(bundle, state, NewId());
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("SigBlk:\t0000000000000000", run.Stdout);
        Assert.Contains("SigIgn:\t0000000000000000", run.Stdout);
        Assert.Contains("300000", run.Stdout);
    }

    [Fact]
    public async Task Virtio_9p_serves_the_root_file_system_when_shared_fs_says_so()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s => s.Process!.Args = ["sh", "-c", "cat /etc/passwd | head -1; grep ' / ' /proc/self/mountinfo"]);
        bundle.HardLinkApplets(); // 9p's mapped-xattr mode cannot follow symlinks made on the host
        var id = NewId();
        var run = await CliRun.RunAsync(["--config-option", "shared_fs=virtio-9p", "run", "--bundle", bundle.Directory, id], root: state.Path);
        TestContext.Current.TestOutputHelper?.WriteLine(run.Stdout + run.Stderr);
        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("root:x:0:0", run.Stdout);
        Assert.Contains(" - 9p ", run.Stdout);
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    [Fact]
    public async Task Signals_sent_to_sandboxrt_reach_the_containers_init()
    {
        TestEnvironment.RequireVmPrerequisites();
        CliRun.RequireBinary();
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s => s.Process!.Args = ["sh", "-c", "trap 'echo got-int; exit 5' INT; echo ready; while true; do sleep 0.1; done"]);
        var id = NewId();
        var args = new List<string> { "--root", state.Path, "--config", TestEnvironment.QemuConfig,
            "--config-option", $"kernel={TestEnvironment.Kernel}", "--config-option", $"initrd={TestEnvironment.Initrd}", "--config-option", $"image={TestEnvironment.Image}", "--debug", "run", "--bundle", bundle.Directory, id };
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(CliRun.Binary, args)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
        })!;
        var diagnostics = process.StandardError.ReadToEndAsync();
        var first = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("ready", first);
        Assert.True(SandboxRt.Interop.ChildProcesses.Signal(process.Id, 2)); // SIGINT to the runtime
        var rest = await process.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
        TestContext.Current.TestOutputHelper?.WriteLine(await diagnostics);
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Contains("got-int", rest);
        Assert.Equal(5, process.ExitCode);
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    [Fact]
    public async Task Run_runs_the_host_hooks_and_its_container_is_seen_and_killed_by_the_other_verbs()
    {
        TestEnvironment.RequireVmPrerequisites();
        CliRun.RequireBinary();
        using var state = new ScratchDirectory("srt-state");
        var hooksLog = state.Combine("hooks.log");
        using var bundle = new TestBundle(s => s.Process!.Args = ["sh", "-c", "echo ready; exec sleep 600"]);
        var hook = bundle.WriteExecutable("hook.sh", $"#!/bin/sh\necho \"$1 $(cat)\" >> {hooksLog}\n");
        Hook Host(string name) => new() { Path = hook, Args = [hook, name] };
        bundle.Spec.Hooks = new Hooks { Prestart = [Host("prestart")], CreateRuntime = [Host("createRuntime")], Poststart = [Host("poststart")], Poststop = [Host("poststop")] };
        bundle.Save();
        var id = NewId();
        var args = new List<string> { "--root", state.Path, "--config", TestEnvironment.QemuConfig,
            "--config-option", $"kernel={TestEnvironment.Kernel}", "--config-option", $"initrd={TestEnvironment.Initrd}", "--config-option", $"image={TestEnvironment.Image}", "run", "--bundle", bundle.Directory, id };
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(CliRun.Binary, args)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
        })!;
        var diagnostics = process.StandardError.ReadToEndAsync();
        var first = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(first == "ready", $"first line {first ?? "(none: run exited)"}; stderr: {(first is null ? await diagnostics : "")}");

        // `run` keeps the state record that `create` keeps: state and list see it, kill reaches it
        var shown = await CliRun.RunAsync(["state", id], root: state.Path);
        Assert.Equal(0, shown.ExitCode);
        var json = System.Text.Json.JsonDocument.Parse(shown.Stdout).RootElement;
        Assert.Equal("running", json.GetProperty("status").GetString());
        Assert.Equal(process.Id, json.GetProperty("pid").GetInt32());
        Assert.Contains(id, (await CliRun.RunAsync(["list", "-q"], root: state.Path)).Stdout);
        Assert.Equal(0, (await CliRun.RunAsync(["kill", id, "KILL"], root: state.Path)).ExitCode);

        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        TestContext.Current.TestOutputHelper?.WriteLine(await diagnostics);
        Assert.Equal(137, process.ExitCode);
        var lines = File.ReadAllLines(hooksLog);
        Assert.Equal(["prestart", "createRuntime", "poststart", "poststop"], lines.Select(l => l.Split(' ')[0]));
        Assert.All(lines, l => Assert.Contains($"\"id\":\"{id}\"", l));
        Assert.Contains("\"status\":\"stopped\"", lines[3]);
        Assert.NotEqual(0, (await CliRun.RunAsync(["state", id], root: state.Path)).ExitCode); // gone with the run, as runc run's
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    [Fact]
    public async Task A_sigkilled_container_exits_137()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        // Without a pid namespace of its own the shell is not a namespace's init, which the kernel
        // shields from its own SIGKILL (as with runc).
        using var bundle = new TestBundle(s =>
        {
            s.Process!.Args = ["sh", "-c", "kill -9 $$"];
            s.Linux!.Namespaces!.RemoveAll(n => n.Type == "pid");
        });
        Assert.Equal(137, (await RunAsync(bundle, state, NewId())).ExitCode);
    }

    [Fact]
    public async Task The_agent_as_pid_1_has_no_sigchld_handler_that_could_reap_a_containers_exit()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        // .NET as PID 1 with a SIGCHLD handler reaps every child from its signal thread, racing the
        // agent's reaper: under load an exit status was lost and `run` hung. Without a pid namespace
        // of its own the container sees the agent as /proc/1.
        using var bundle = new TestBundle(s =>
        {
            s.Process!.Args = ["sh", "-c", "cat /proc/1/comm; grep '^SigCgt' /proc/1/status"];
            s.Linux!.Namespaces!.RemoveAll(n => n.Type == "pid");
        });
        var run = await RunAsync(bundle, state, NewId());
        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("init\n", run.Stdout);
        var caught = Convert.ToUInt64(run.Stdout.Split("SigCgt:")[1].Trim(), 16);
        const int SIGCHLD = 17;
        Assert.True((caught & (1UL << (SIGCHLD - 1))) == 0, $"the agent catches SIGCHLD: SigCgt {caught:x16}");
    }

    /// <summary>
    /// A missing program fails the container's creation, as runc's lookup before start does: `run` exits 1
    /// with runc's message (runc 1.1 here: `runc run` of such a bundle exits 1, "exec: ...: executable file
    /// not found in $PATH").
    /// </summary>
    [Fact]
    public async Task A_missing_program_fails_run_as_runcs_does_with_its_message()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s => s.Process!.Args = ["no-such-program"]);
        var id = NewId();
        var run = await RunAsync(bundle, state, id);
        Assert.Equal(1, run.ExitCode);
        LeakCheck.AssertNothingLeft(state.Path, id);
        Assert.Contains("level=error msg=\"exec: \\\"no-such-program\\\": executable file not found in $PATH\"", run.Stderr); // logfmt, as runc's
        Assert.DoesNotContain("guest console", run.Stderr); // the reason alone, not buried under the console's last lines
    }

    [Fact]
    public async Task Stdin_piped_into_cat_comes_back_byte_exact()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s => s.Process!.Args = ["cat"]);
        var data = new byte[50 * 1024 * 1024];
        new Random(1234).NextBytes(data);
        var run = await RunAsync(bundle, state, NewId(), new MemoryStream(data));
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(data.Length, run.StdoutBytes.Length);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(data)), Convert.ToHexString(SHA256.HashData(run.StdoutBytes)));
    }

    [Fact]
    public async Task A_64_MiB_container_that_allocates_200_MiB_is_oom_killed_and_the_host_says_so()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s =>
        {
            s.Process!.Args = ["memhog", "200"];
            s.Linux!.Resources!.Memory = new LinuxMemory { Limit = 64L * 1024 * 1024, Swap = 64L * 1024 * 1024 };
        });
        var run = await RunAsync(bundle, state, NewId());
        Assert.Equal(137, run.ExitCode);
        Assert.Contains("out-of-memory", run.Stderr);
        Assert.DoesNotContain("allocated all", run.Stdout);
    }

    [Fact]
    public async Task A_pids_limit_of_20_stops_the_21st_process()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s =>
        {
            s.Process!.Args = ["forker", "40"];
            s.Linux!.Resources!.Pids = new LinuxPids { Limit = 20 };
        });
        var run = await RunAsync(bundle, state, NewId());
        Assert.Equal(0, run.ExitCode);
        // forker itself is the first of the 20: 19 children start, the 20th fork (21st process) fails.
        Assert.Contains("started=19", run.Stdout);
        Assert.Contains("fork 20 failed: Resource temporarily unavailable", run.Stdout);
    }

    [Fact]
    public async Task A_block_io_limit_on_a_device_the_vm_does_not_have_fails_naming_the_field()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        // Docker's --device-read-bps /dev/loop0:1mb: the host's loop0 (7:0); the guest has no loop device
        using var bundle = new TestBundle(s => s.Linux!.Resources!.BlockIO = new LinuxBlockIO { ThrottleReadBpsDevice = [new() { Major = 7, Minor = 0, Rate = 1 << 20 }] });
        var id = NewId();
        var run = await RunAsync(bundle, state, id);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("linux.resources.blockIO.throttleReadBpsDevice[0]: the VM has no block device 7:0: a VM has block devices of its own, not the host's (io.max: ENODEV)", run.Stderr);
        Assert.DoesNotContain("CgroupException", run.Stderr);
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    /// <summary>
    /// cgroup v1 fields that v2, the guest's, cannot express (Docker's --memory-swappiness and
    /// --oom-kill-disable on a cgroup v1 host) do not fail the container, as runc on a v2 host ignores them,
    /// and each is named in a warning in the guest's console log. Until 2026-12-07 the agent computed the
    /// warnings and dropped them.
    /// </summary>
    [Fact]
    public async Task Fields_cgroup_v2_cannot_express_are_ignored_with_a_warning_naming_each()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s =>
        {
            s.Process!.Args = ["sleep", "600"];
            s.Linux!.Resources!.Memory = new LinuxMemory { Limit = 64L << 20, Swappiness = 0, DisableOOMKiller = true };
        });
        var id = NewId();
        var console = Path.Combine(state.Path, id, "console.log");
        try
        {
            var create = await CliRun.RunLeavingRelayAsync(["create", "--bundle", bundle.Directory, id], state.Path);
            Assert.True(create.ExitCode == 0, create.Stderr);
            string[] warnings = [$"container {id}: linux.resources.memory.swappiness is not supported on cgroup v2 and was ignored",
                                 $"container {id}: linux.resources.memory.disableOOMKiller is not supported on cgroup v2 and was ignored"];
            await Condition.WaitAsync(() => File.Exists(console) && warnings.All(File.ReadAllText(console).Contains), "both warnings in the guest's console log");
        }
        finally
        {
            await CliRun.RunAsync(["delete", "--force", id], root: state.Path);
        }
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    /// <summary>
    /// A bind mount of a socket, a FIFO or a device node would show the guest a node that reaches nothing
    /// on the host (connect refused, a pipe of its own, or the VM's device): the create fails naming the
    /// mount and why, instead of a container that runs without what it asked for.
    /// </summary>
    [Theory]
    [InlineData("socket", "is a unix socket: a process in the VM cannot connect to a host socket through the shared directory")]
    [InlineData("fifo", "is a FIFO: a pipe on the host cannot be opened from the VM through the shared directory")]
    [InlineData("device", "/dev/null is a character device: the VM cannot open host devices through the shared directory; linux.devices (docker run --device) gives")]
    public async Task A_bind_mount_of_a_socket_fifo_or_device_node_fails_naming_the_mount(string kind, string expected)
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        using var sources = new ScratchDirectory("srt-node");
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        var source = kind switch
        {
            "socket" => sources.Combine("app.sock"),
            "fifo" => sources.Combine("pipe"),
            _ => "/dev/null",
        };
        if (kind == "socket")
        {
            listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(source));
            listener.Listen();
        }
        else if (kind == "fifo")
            (await Command.RunAsync("mkfifo", [source])).Ok();
        using var bundle = new TestBundle(s => s.Mounts!.Add(new Mount { Destination = "/mnt/node", Type = "bind", Source = source, Options = ["rbind", "rw"] }));
        var run = await RunAsync(bundle, state, NewId());
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains($"mounts[7].source: ", run.Stderr);
        Assert.Contains(expected, run.Stderr);
    }
}
