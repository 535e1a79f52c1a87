using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.EndToEnd;

/// <summary>
/// Docker 20.10 with SandboxRt registered in daemon.json as "kata-runtime": the runc-compatible CLI
/// through a real dockerd and containerd's runc shim. Every container runs in its own VM.
/// </summary>
[Trait("Tier", "e2e")]
[Collection("e2e")]
public sealed class DockerTests(DockerDaemon docker) : IClassFixture<DockerDaemon>
{
    [Fact]
    public async Task Run_prints_output_from_the_guest_and_returns_the_exit_code()
    {
        docker.RequireRunning();
        var hi = await docker.Run("echo", "hi");
        Assert.Equal(0, hi.ExitCode);
        Assert.Equal("hi\n", hi.Stdout);
        var three = await docker.Run("sh", "-c", "uname -r; exit 3");
        Assert.Equal(3, three.ExitCode);
        Assert.StartsWith("6.1.", three.Stdout);
        Assert.NotEqual(TestEnvironment.HostKernelRelease, three.Stdout.Trim());
    }

    /// <summary>
    /// An exec that fails at start (2 MB of environment: E2BIG) fails `docker run --rm` with the reason, and
    /// Docker's delete right after the failed start takes the VM with it. Before, the relay was still alive
    /// then: the runc shim kept the task "created", refused the delete, and Docker forgot the container
    /// while its VM and shim ran on (RuncCliTests has the relay's side).
    /// </summary>
    [Fact]
    public async Task A_run_whose_exec_fails_at_start_fails_with_the_reason_and_leaves_no_vm()
    {
        docker.RequireRunning();
        using var scratch = new ScratchDirectory("srt-e2big");
        var envFile = scratch.Combine("env");
        File.WriteAllLines(envFile, Enumerable.Range(0, 20000).Select(i => $"V{i}={new string('x', 100)}"));
        var cidFile = scratch.Combine("cid");
        var run = await docker.Docker("run", "--rm", "--cidfile", cidFile, "--network", "none", "--runtime", DockerDaemon.Runtime, "--env-file", envFile, LocalImage.Reference, "true");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("OCI runtime start failed", run.Stderr);
        Assert.Contains("argument list too long (E2BIG)", run.Stderr);
        var id = File.ReadAllText(cidFile).Trim();
        await HostLeaks.AssertGoneAsync(id, docker.RuntimeRoot, TimeSpan.FromSeconds(60));
        Assert.DoesNotContain(id, (await docker.Docker("ps", "-aq", "--no-trunc")).Ok().Stdout);
    }

    /// <summary>
    /// `docker run` of a program that cannot run exits as under runc: 127 when there is no such program,
    /// 126 when it cannot be executed. The docker CLI picks the status by matching runc's lower-case words
    /// in the error ("permission denied" gave 125 while the agent said "Permission denied").
    /// </summary>
    [Theory]
    [InlineData("no-such-program", 127, "executable file not found in $PATH")]
    [InlineData("/etc/passwd", 126, "permission denied")]
    [InlineData("/nonexistent/program", 127, "no such file or directory")]
    public async Task A_program_that_cannot_run_gives_docker_run_runcs_exit_status(string program, int status, string reason)
    {
        docker.RequireRunning();
        var run = await docker.Docker("run", "--rm", "--network", "none", "--runtime", DockerDaemon.Runtime, LocalImage.Reference, program);
        Assert.Contains(reason, run.Stderr);
        Assert.True(run.ExitCode == status, $"docker run {program}: exit {run.ExitCode}, not {status}: {run.Stderr}");
    }

    [Fact]
    public async Task Detached_exec_top_pause_logs_inspect_and_stop()
    {
        docker.RequireRunning();
        var run = (await docker.Docker("run", "-d", "--network", "none", "--runtime", DockerDaemon.Runtime, LocalImage.Reference,
            "sh", "-c", "echo started; trap 'echo got-term' TERM; while true; do sleep 0.2; done")).Ok();
        var id = run.Stdout.Trim();
        Assert.Equal(6, (await docker.Docker("exec", id, "sh", "-c", "echo in-exec; exit 6")).ExitCode);
        var exec = await docker.Docker("exec", id, "cat", "/proc/1/cmdline");
        Assert.StartsWith("sh", exec.Stdout);

        var top = (await docker.Docker("top", id)).Ok();
        Assert.Contains("sandboxrt relay -- sh -c echo started", top.Stdout);

        (await docker.Docker("pause", id)).Ok();
        Assert.Equal("paused", (await docker.Docker("inspect", "-f", "{{.State.Status}}", id)).Stdout.Trim());
        (await docker.Docker("unpause", id)).Ok();
        Assert.Equal("running", (await docker.Docker("inspect", "-f", "{{.State.Status}}", id)).Stdout.Trim());
        Assert.Equal("kata-runtime", (await docker.Docker("inspect", "--format", "{{.HostConfig.Runtime}}", id)).Stdout.Trim());

        // SIGTERM is trapped, so after the timeout Docker sends SIGKILL: 137.
        (await docker.Docker("stop", "-t", "2", id)).Ok();
        Assert.Equal("exited 137", (await docker.Docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", id)).Stdout.Trim());
        var logs = (await docker.Docker("logs", id)).Ok();
        Assert.Equal("started\ngot-term\n", logs.Stdout);
        (await docker.Docker("rm", id)).Ok();
        await HostLeaks.AssertGoneAsync(id, docker.RuntimeRoot);
    }

    [Fact]
    public async Task Interactive_stdin_and_a_terminal_work()
    {
        docker.RequireRunning();
        var cat = await Command.RunAsync("docker", ["-H", "unix://" + docker.Socket, "run", "--rm", "-i", "--network", "none", "--runtime", DockerDaemon.Runtime, LocalImage.Reference, "sh", "-c", "cat; echo done"], stdin: "piped line\nsecond\n");
        Assert.Equal(0, cat.ExitCode);
        Assert.Equal("piped line\nsecond\ndone\n", cat.Stdout);

        TestEnvironment.RequireCommand("script", "util-linux");
        var tty = await Command.RunAsync("script", ["-qec", $"docker -H unix://{docker.Socket} run --rm -t --network none --runtime {DockerDaemon.Runtime} {LocalImage.Reference} sh -c 'tty; exit 2'", "/dev/null"]);
        Assert.Equal(2, tty.ExitCode);
        Assert.Contains("/dev/pts/0", tty.Stdout);
    }

    [Fact]
    public async Task Ten_containers_created_in_parallel_all_run_and_are_all_cleaned_up()
    {
        docker.RequireRunning();
        var runs = Enumerable.Range(0, 10).Select(i => docker.Docker("run", "-d", "--network", "none", "--runtime", DockerDaemon.Runtime,
            LocalImage.Reference, "sh", "-c", $"echo container-{i}; sleep 600")).ToList();
        var ids = (await Task.WhenAll(runs)).Select(r => r.Ok().Stdout.Trim()).ToList();
        Assert.Equal(10, ids.Distinct().Count());
        foreach (var (id, i) in ids.Select((id, i) => (id, i)))
        {
            Assert.Equal("running", (await docker.Docker("inspect", "-f", "{{.State.Status}}", id)).Stdout.Trim());
            // `run -d` returns once the container started; its first line still travels guest -> agent ->
            // relay -> fifo -> shim -> dockerd's log (it was not there yet once in ten under load)
            string logs = "";
            await Condition.WaitAsync(async () => (logs = (await docker.Docker("logs", id)).Stdout).Length > 0,
                $"container-{i}'s first line in docker logs", TimeSpan.FromSeconds(30));
            Assert.Equal($"container-{i}\n", logs);
        }
        var rm = await docker.Docker(["rm", "-f", .. ids]);
        if (rm.ExitCode != 0 && rm.Stderr.Contains("is zombie"))
        {
            // dockerd 20.10 can look at a killed relay before its containerd-shim has reaped it, and reports
            // "is zombie and can not be killed"; an rm after the reap goes through
            foreach (var id in ids)
            {
                Command again = rm;
                await Condition.WaitAsync(async () => (again = await docker.Docker("rm", "-f", id)).ExitCode == 0 || again.Stderr.Contains("No such container") || !again.Stderr.Contains("is zombie"),
                    $"docker rm -f {id} to get past the zombie", TimeSpan.FromSeconds(60));
                Assert.True(again.ExitCode == 0 || again.Stderr.Contains("No such container"), $"docker rm -f {id}: {again.Stderr}");
            }
        }
        else
        {
            rm.Ok();
        }
        foreach (var id in ids)
            await HostLeaks.AssertGoneAsync(id, docker.RuntimeRoot, TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// `docker update` raises a running container's limits: its VM (the default plus the limits) grows by
    /// CPU and memory hot-plug before the cgroup changes, so the container can use what it was given. When
    /// they fall again, the cgroup changes first and the VM gives the memory back (the guest ejects the
    /// DIMMs); the vCPU the CPU limit still asks for stays.
    /// </summary>
    [Fact]
    public async Task Docker_update_grows_the_running_containers_vm_by_hot_plug_and_shrinks_it_when_the_limits_fall()
    {
        docker.RequireRunning();
        const string probe = "nproc; grep MemTotal /proc/meminfo; cat /sys/fs/cgroup/memory.max";
        var id = (await docker.Docker("run", "-d", "--network", "none", "--runtime", DockerDaemon.Runtime, LocalImage.Reference, "sleep", "600")).Ok().Stdout.Trim();
        try
        {
            var before = (await docker.Docker("exec", id, "sh", "-c", probe)).Ok().Stdout.Split('\n');
            (await docker.Docker("update", "--memory", "1g", "--memory-swap", "2g", "--cpus", "1", id)).Ok();
            var after = (await docker.Docker("exec", id, "sh", "-c", probe)).Ok().Stdout.Split('\n');
            TestContext.Current.TestOutputHelper?.WriteLine($"before: {string.Join(" | ", before)}\nafter docker update: {string.Join(" | ", after)}");
            static long KiB(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
            Assert.Equal("1", before[0]);
            Assert.Equal(Math.Min(2, Environment.ProcessorCount).ToString(), after[0]);
            Assert.True(KiB(after[1]) - KiB(before[1]) >= 1000 * 1024, $"MemTotal grew by {(KiB(after[1]) - KiB(before[1])) / 1024} MiB, not by the 1 GiB limit");
            Assert.Equal((1L << 30).ToString(), after[2]);
            // the grown guest can use it: dd's 700 MiB buffer, filled, is inside the limit and is not OOM-killed
            Assert.Equal(0, (await docker.Docker("exec", id, "dd", "if=/dev/zero", "of=/dev/null", "bs=700M", "count=1")).ExitCode);

            (await docker.Docker("update", "--memory", "256m", id)).Ok();
            var lowered = (await docker.Docker("exec", id, "sh", "-c", probe)).Ok().Stdout.Split('\n');
            TestContext.Current.TestOutputHelper?.WriteLine($"after docker update --memory 256m: {string.Join(" | ", lowered)}");
            Assert.InRange((KiB(lowered[1]) - KiB(before[1])) / 1024, 250, 262);
            Assert.Equal(after[0], lowered[0]); // --cpus 1 still asks for the vCPU
            Assert.Equal((256L << 20).ToString(), lowered[2]);
        }
        finally
        {
            (await docker.Docker("rm", "-f", id)).Ok();
        }
        await HostLeaks.AssertGoneAsync(id, docker.RuntimeRoot, TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// A container run with limits: its VM booted at the default and the limits were hot-plugged, so
    /// `docker update` with lower ones gives the memory back below the size it was run with.
    /// </summary>
    [Fact]
    public async Task Docker_update_shrinks_the_vm_below_the_limits_the_container_was_run_with()
    {
        docker.RequireRunning();
        const string probe = "nproc; grep MemTotal /proc/meminfo; cat /sys/fs/cgroup/memory.max";
        var id = (await docker.Docker("run", "-d", "--network", "none", "--runtime", DockerDaemon.Runtime, "--memory", "768m", "--memory-swap", "1g",
            LocalImage.Reference, "sleep", "600")).Ok().Stdout.Trim();
        try
        {
            var run = (await docker.Docker("exec", id, "sh", "-c", probe)).Ok().Stdout.Split('\n');
            (await docker.Docker("update", "--memory", "128m", id)).Ok();
            var lowered = (await docker.Docker("exec", id, "sh", "-c", probe)).Ok().Stdout.Split('\n');
            TestContext.Current.TestOutputHelper?.WriteLine($"run with --memory 768m: {string.Join(" | ", run)}\nafter docker update --memory 128m: {string.Join(" | ", lowered)}");
            static long KiB(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
            Assert.InRange((KiB(run[1]) - KiB(lowered[1])) / 1024, 630, 650);
            Assert.Equal(("1", "1"), (run[0], lowered[0]));
            Assert.Equal((805306368L).ToString(), run[2]);
            Assert.Equal((128L << 20).ToString(), lowered[2]);
        }
        finally
        {
            (await docker.Docker("rm", "-f", id)).Ok();
        }
        await HostLeaks.AssertGoneAsync(id, docker.RuntimeRoot, TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// `docker run --cpuset-cpus N`: under runc the container's processes run on host CPU N alone; under
    /// kata-runtime the VM's do (every thread of QEMU, its vCPUs, and virtiofsd), pinned through Docker's
    /// cgroup for the container, and the container sees as many CPUs as runc's. `docker update
    /// --cpuset-cpus` moves them. Before, the VM ran on every host CPU and the guest was given the host's
    /// CPU number (cpuset.cpus "1" in a one-vCPU guest, silently ignored; a number above the guest's
    /// vCPUs, such as 40 on a large host, failed the create with ERANGE).
    /// </summary>
    [Fact]
    public async Task Docker_cpuset_cpus_pins_the_vm_to_those_host_cpus_and_update_moves_it()
    {
        docker.RequireRunning();
        var last = Environment.ProcessorCount - 1;
        const string probe = "nproc; cat /sys/fs/cgroup/cpuset.cpus.effective";
        var runc = (await docker.Docker("run", "--rm", "--network", "none", "--cpuset-cpus", $"{last}", LocalImage.Reference, "sh", "-c", "nproc")).Ok().Stdout.Trim();
        var id = (await docker.Docker("run", "-d", "--network", "none", "--runtime", DockerDaemon.Runtime, "--cpuset-cpus", $"{last}", LocalImage.Reference, "sleep", "600")).Ok().Stdout.Trim();
        try
        {
            var state = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(docker.RuntimeRoot, id, "state.json"))).RootElement;
            var vmm = state.TryGetProperty("joinedSandbox", out var entry) && entry.ValueKind == System.Text.Json.JsonValueKind.String
                ? System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(docker.RuntimeRoot, entry.GetString()!, "state.json"))).RootElement
                : state;
            int[] pids = [vmm.GetProperty("hypervisor").GetProperty("pid").GetInt32(), vmm.GetProperty("virtiofsd").GetProperty("pid").GetInt32()];
            var inside = (await docker.Docker("exec", id, "sh", "-c", probe)).Ok().Stdout.Split('\n');
            TestContext.Current.TestOutputHelper?.WriteLine($"runc: nproc {runc}; kata-runtime: {string.Join(" | ", inside)}; threads: {string.Join(", ", ProcessTable.ThreadAffinities(pids))}");
            Assert.Equal(runc, inside[0]);
            Assert.Equal("0", inside[1]); // the guest's first vCPU: the host's CPU numbers mean nothing in it
            Assert.All(ProcessTable.ThreadAffinities(pids), a => Assert.Equal($"{last}", a));

            (await docker.Docker("update", "--cpuset-cpus", "0", id)).Ok();
            Assert.All(ProcessTable.ThreadAffinities(pids), a => Assert.Equal("0", a));
            Assert.Equal(runc, (await docker.Docker("exec", id, "sh", "-c", "nproc")).Ok().Stdout.Trim());
        }
        finally
        {
            (await docker.Docker("rm", "-f", id)).Ok();
        }
        await HostLeaks.AssertGoneAsync(id, docker.RuntimeRoot, TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// --cpuset-cpus without --cpus sizes the VM by the CPUs it names (Kata's rule for a container
    /// constrained only by a cpuset), so `nproc` says what it says under runc; before 2026-12-07 the VM kept
    /// its default single vCPU and `nproc` said 1.
    /// </summary>
    [Fact]
    public async Task Docker_cpuset_cpus_without_cpus_gives_the_vm_as_many_vcpus_as_it_names()
    {
        docker.RequireRunning();
        var all = $"0-{Environment.ProcessorCount - 1}";
        var runc = (await docker.Docker("run", "--rm", "--network", "none", "--cpuset-cpus", all, LocalImage.Reference, "sh", "-c", "nproc")).Ok().Stdout.Trim();
        var inside = (await docker.Docker("run", "--rm", "--network", "none", "--runtime", DockerDaemon.Runtime, "--cpuset-cpus", all, LocalImage.Reference,
            "sh", "-c", "nproc; cat /sys/devices/system/cpu/online")).Ok().Stdout.Split('\n');
        TestContext.Current.TestOutputHelper?.WriteLine($"--cpuset-cpus {all}: runc nproc {runc}; kata-runtime nproc {inside[0]}, the guest's online CPUs {inside[1]}");
        Assert.Equal(Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture), runc);
        Assert.Equal(runc, inside[0]);
        Assert.Equal(all, inside[1]);
    }

    /// <summary>
    /// A volume of the host's /proc or /sys (node-exporter's `-v /proc:/host/proc:ro`, cadvisor's `/sys`)
    /// is the VM's own, as under Kata: the host's never reaches the guest (virtiofsd serves as root, and a
    /// writable /sys would be the host's kernel settings). Before 2026-12-07 it was the host's, through
    /// virtio-fs, whose procfs files all read empty (size 0).
    /// </summary>
    [Fact]
    public async Task A_volume_of_the_hosts_proc_or_sys_is_the_vms_own()
    {
        docker.RequireRunning();
        // one labelled line each: an empty file must not shift the others
        const string probe = "echo \"bound: $(head -1 /host/proc/meminfo)\"; echo \"own: $(head -1 /proc/meminfo)\"; " +
                             "echo \"pid1: $(tr '\\0' ' ' < /host/proc/1/cmdline)\"; echo \"cgroup: $(cat /host/cgroup/cgroup.controllers)\"; " +
                             "echo \"write: $(echo x > /host/sys/kernel/sandboxrt-probe 2>/dev/null && echo wrote || echo refused)\"";
        var output = (await docker.Docker("run", "--rm", "--network", "none", "--runtime", DockerDaemon.Runtime, "-v", "/proc:/host/proc:ro",
            "-v", "/sys/fs/cgroup:/host/cgroup:ro", "-v", "/sys:/host/sys", LocalImage.Reference, "sh", "-c", probe)).Ok().Stdout;
        TestContext.Current.TestOutputHelper?.WriteLine(output);
        var inside = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(": ", 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1].Trim() : "");
        Assert.StartsWith("MemTotal:", inside["bound"]);
        Assert.Equal(inside["own"], inside["bound"]); // the VM's memory, as the container's own /proc says; not the host's
        Assert.NotEqual(File.ReadLines("/proc/meminfo").First(), inside["bound"]);
        Assert.NotEmpty(inside["pid1"]);
        Assert.NotEqual(File.ReadAllText("/proc/1/cmdline").Replace('\0', ' ').Trim(), inside["pid1"]); // the guest's PID 1, not the host's
        Assert.Contains("memory", inside["cgroup"]); // the guest's cgroup2 root
        Assert.Equal("refused", inside["write"]); // sysfs makes no such file, in the guest as on the host
        Assert.False(File.Exists("/sys/kernel/sandboxrt-probe"));
    }

    [Fact]
    public async Task The_vms_processes_run_in_dockers_cgroup_for_the_container_and_qemu_not_as_root()
    {
        docker.RequireRunning();
        var id = (await docker.Docker("run", "-d", "--network", "none", "--runtime", DockerDaemon.Runtime, LocalImage.Reference, "sleep", "600")).Ok().Stdout.Trim();
        var state = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(docker.RuntimeRoot, id, "state.json"))).RootElement;
        // Docker's cgroupfs driver names /docker/<id> in the container's config.json.
        var bundle = state.GetProperty("bundle").GetString()!;
        var cgroupsPath = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(bundle, "config.json"))).RootElement.GetProperty("linux").GetProperty("cgroupsPath").GetString();
        Assert.Equal("/docker/" + id, cgroupsPath);
        int qemu = state.GetProperty("hypervisor").GetProperty("pid").GetInt32();
        int relay = state.GetProperty("relay").GetProperty("pid").GetInt32();
        int virtiofsd = state.GetProperty("virtiofsd").GetProperty("pid").GetInt32();
        foreach (var pid in new[] { qemu, virtiofsd })
            Assert.All(File.ReadAllLines($"/proc/{pid}/cgroup"), line => Assert.True(line.EndsWith(":" + cgroupsPath), $"pid {pid}: {line}"));
        // the relay too, but in a memory cgroup of its own below, where the guest's OOM kills are reported
        Assert.All(File.ReadAllLines($"/proc/{relay}/cgroup"), line => Assert.True(
            line.EndsWith(":" + cgroupsPath + (line.Split(':')[1] == "memory" ? "/" + SandboxRt.Runtime.HostCgroups.HostCgroup.RelayLeaf : "")), $"relay {relay}: {line}"));
        var ps = await Command.RunAsync("ps", ["-o", "user=,args=", "-p", qemu.ToString()]);
        TestContext.Current.TestOutputHelper?.WriteLine("ps -o user,args -p " + qemu + ":\n" + ps.Stdout);
        Assert.False(ps.Stdout.StartsWith("root"), ps.Stdout);
        (await docker.Docker("rm", "-f", id)).Ok();
        await HostLeaks.AssertGoneAsync(id, docker.RuntimeRoot, TimeSpan.FromSeconds(60));
        var left = Directory.EnumerateDirectories("/sys/fs/cgroup").Append("/sys/fs/cgroup").Select(d => d + cgroupsPath).Where(Directory.Exists).ToList();
        Assert.True(left.Count == 0, "cgroups left behind: " + string.Join(", ", left));
    }

    /// <summary>
    /// A container the guest kernel kills for memory is OOMKilled for Docker, as under runc: containerd's runc
    /// shim learns of OOM kills only from the memory cgroup of the pid in --pid-file, where the relay has the
    /// host kernel OOM-kill a process made for it (HostOomReport). One that ends normally is not. The normal
    /// one runs first: dockerd 20.10 remembers an OOM event for the exits that follow it on its event stream.
    /// </summary>
    [Fact]
    public async Task A_container_the_guest_kills_for_memory_is_oom_killed_for_docker_and_a_normal_one_is_not()
    {
        docker.RequireRunning();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        string[] Run(string name, string buffer) =>
            ["run", "--name", name, "--network", "none", "--runtime", DockerDaemon.Runtime, "--memory", "64m", LocalImage.Reference, "dd", "if=/dev/zero", "of=/dev/null", "bs=" + buffer, "count=1"];
        async Task<string> State(string name) => (await docker.Docker("inspect", "--format", "{{.State.OOMKilled}} {{.State.ExitCode}}", name)).Ok().Stdout.Trim();
        var normal = "oom-normal-" + suffix;
        var hog = "oom-hog-" + suffix;
        var ids = new List<string>();
        try
        {
            Assert.Equal(0, (await docker.Docker(Run(normal, "16M"))).ExitCode);
            ids.Add((await docker.Docker("inspect", "--format", "{{.Id}}", normal)).Ok().Stdout.Trim());
            Assert.Equal("false 0", await State(normal));
            var killed = await docker.Docker(Run(hog, "300M"));
            ids.Add((await docker.Docker("inspect", "--format", "{{.Id}}", hog)).Ok().Stdout.Trim());
            Assert.Equal(137, killed.ExitCode);
            Assert.Equal("true 137", await State(hog));
        }
        finally
        {
            await docker.Docker("rm", "-f", normal, hog);
        }
        foreach (var id in ids)
            await HostLeaks.AssertGoneAsync(id, docker.RuntimeRoot, TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// An OOM kill of one of a running container's processes is an `oom` event for Docker too (runc's shim
    /// publishes one for every OOM in the container's cgroup): the relay follows the guest's OOM events.
    /// </summary>
    [Fact]
    public async Task An_oom_kill_in_a_running_container_is_a_docker_oom_event()
    {
        docker.RequireRunning();
        var since = DateTimeOffset.UtcNow.AddSeconds(-1).ToUnixTimeSeconds().ToString();
        var id = (await docker.Docker("run", "-d", "--network", "none", "--runtime", DockerDaemon.Runtime, "--memory", "64m", LocalImage.Reference,
            "sh", "-c", "dd if=/dev/zero of=/dev/null bs=300M count=1; echo dd-ended; sleep 600")).Ok().Stdout.Trim();
        try
        {
            await Condition.WaitAsync(async () => (await docker.Docker("logs", id)).Stdout.Contains("dd-ended"), "the killed dd in docker logs", TimeSpan.FromSeconds(60));
            string events = "";
            await Condition.WaitAsync(async () => (events = (await docker.Docker("events", "--since", since, "--until", DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(),
                "--filter", "container=" + id, "--filter", "event=oom", "--format", "{{.Action}}")).Ok().Stdout).Contains("oom"), "an oom event in docker events", TimeSpan.FromSeconds(30));
            Assert.Equal("running", (await docker.Docker("inspect", "-f", "{{.State.Status}}", id)).Stdout.Trim()); // sh lives on
        }
        finally
        {
            (await docker.Docker("rm", "-f", id)).Ok();
        }
        await HostLeaks.AssertGoneAsync(id, docker.RuntimeRoot, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Killing_the_relay_or_qemu_makes_the_container_exit_nonzero_and_rm_cleans_up()
    {
        docker.RequireRunning();
        foreach (var victim in new[] { "relay", "qemu" })
        {
            var id = (await docker.Docker("run", "-d", "--network", "none", "--runtime", DockerDaemon.Runtime, LocalImage.Reference, "sleep", "600")).Ok().Stdout.Trim();
            var state = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(docker.RuntimeRoot, id, "state.json"))).RootElement;
            int pid = state.GetProperty(victim == "relay" ? "relay" : "hypervisor").GetProperty("pid").GetInt32();
            Assert.True(SandboxRt.Interop.ChildProcesses.Signal(pid, 9));
            string status = "";
            for (int i = 0; i < 100 && status != "exited"; i++)
            {
                await Task.Delay(200);
                status = (await docker.Docker("inspect", "-f", "{{.State.Status}}", id)).Stdout.Trim();
            }
            Assert.Equal("exited", status);
            var exitCode = int.Parse((await docker.Docker("inspect", "-f", "{{.State.ExitCode}}", id)).Stdout.Trim());
            Assert.NotEqual(0, exitCode);
            (await docker.Docker("rm", "-f", id)).Ok();
            await HostLeaks.AssertGoneAsync(id, docker.RuntimeRoot);
        }
    }

    /// <summary>
    /// A volume of a directory that holds the runtime's state (docker run -v /var/run:/x, -v /:/host; here
    /// dockerd's exec root, which holds SandboxRt's state directories): Docker's rbind used to copy every
    /// other sandbox's shared directory and guest RAM tmpfs into the volume, in the host's mount namespace,
    /// so that the other container's `docker rm` failed (Device or resource busy on its state directory)
    /// and left its VM's directory behind, and this VM saw the other's root file system. A sandbox's
    /// shared directory now has its mounts in the sandbox's own mount namespace (Storage/SharedDirectory.cs)
    /// and a clone's guest RAM sits on an unbindable guard (Storage/UnbindableGuard.cs): the copy holds
    /// the empty directories only, and both containers go.
    /// </summary>
    [Fact]
    public async Task A_volume_holding_the_runtimes_state_neither_copies_other_vms_mounts_nor_blocks_their_removal()
    {
        docker.RequireRunning();
        var first = (await docker.Docker("run", "-d", "--network", "none", "--runtime", DockerDaemon.Runtime, LocalImage.Reference, "sleep", "600")).Ok().Stdout.Trim();
        var second = (await docker.Docker("run", "-d", "--network", "none", "--runtime", DockerDaemon.Runtime, "-v", docker.ExecRoot + ":/state:ro",
            LocalImage.Reference, "sleep", "600")).Ok().Stdout.Trim();
        try
        {
            var inVolume = "/state/" + Path.GetRelativePath(docker.ExecRoot, Path.Combine(docker.RuntimeRoot, first));
            var seen = (await docker.Docker("exec", second, "sh", "-c",
                $"cd {inVolume} && ls -d mounts shared && find mounts shared $(ls -d guest-ram 2>/dev/null) -mindepth 1")).Ok().Stdout;
            Assert.Equal("mounts\nshared\n", seen);
            (await docker.Docker("rm", "-f", first)).Ok();
            await HostLeaks.AssertGoneAsync(first, docker.RuntimeRoot);
        }
        finally
        {
            await docker.Docker("rm", "-f", first);
            (await docker.Docker("rm", "-f", second)).Ok();
        }
        await HostLeaks.AssertGoneAsync(second, docker.RuntimeRoot);
    }

    /// <summary>
    /// cadvisor's -v /var/lib/docker:/var/lib/docker:ro under kata-runtime: Docker's rbind copies the
    /// overlay mounts of the containers that exist, as under runc. The copies are in the sandbox's mount
    /// namespace (Storage/SharedDirectory.cs), not the host's, so `docker rm` of another container, a
    /// runc one here, can remove its overlay's directory; before, it failed with "unlinkat .../merged:
    /// device or resource busy" for as long as the volume lived, and the container stayed "Removal In
    /// Progress".
    /// </summary>
    [Fact]
    public async Task A_volume_of_dockers_data_root_lets_other_containers_be_removed()
    {
        docker.RequireRunning();
        var other = (await docker.Docker("run", "-d", "--network", "none", "--runtime", "runc", LocalImage.Reference, "sleep", "600")).Ok().Stdout.Trim();
        string? watcher = null;
        try
        {
            var merged = (await docker.Docker("inspect", "-f", "{{.GraphDriver.Data.MergedDir}}", other)).Ok().Stdout.Trim();
            Assert.StartsWith(docker.DataRoot + "/", merged);
            watcher = (await docker.Docker("run", "-d", "--network", "none", "--runtime", DockerDaemon.Runtime, "-v", docker.DataRoot + ":/docker:ro",
                LocalImage.Reference, "sleep", "600")).Ok().Stdout.Trim();
            // the watcher sees the other container's root file system, as under runc
            (await docker.Docker("exec", watcher, "sh", "-c", $"test -d '/docker/{Path.GetRelativePath(docker.DataRoot, merged)}/bin'")).Ok();

            var removed = await docker.Docker("rm", "-f", other);
            Assert.True(removed.ExitCode == 0, removed.Stderr);
            Assert.False(Directory.Exists(merged), merged + " is still there");
            Assert.Equal("", (await docker.Docker("ps", "-aq", "--filter", "id=" + other)).Ok().Stdout.Trim());
        }
        finally
        {
            await docker.Docker("rm", "-f", other);
            if (watcher is not null)
                (await docker.Docker("rm", "-f", watcher)).Ok();
        }
        if (watcher is not null)
            await HostLeaks.AssertGoneAsync(watcher, docker.RuntimeRoot);
    }

    /// <summary>
    /// docker exec's limits are runc's: Docker copies the container's process spec (no rlimits without
    /// --ulimit) into the exec's, and runc's exec'd process inherits the rest from its caller
    /// (containerd's). Before, it had the guest agent's, the guest kernel's 1024:4096 open files.
    /// </summary>
    [Fact]
    public async Task Docker_exec_gets_the_limits_it_gets_under_runc()
    {
        docker.RequireRunning();
        var seen = new Dictionary<string, string>();
        foreach (var runtime in new[] { "runc", DockerDaemon.Runtime })
        {
            var id = (await docker.Docker("run", "-d", "--network", "none", "--runtime", runtime, LocalImage.Reference, "sleep", "600")).Ok().Stdout.Trim();
            try
            {
                seen[runtime] = (await docker.Docker("exec", id, "sh", "-c", "echo $(ulimit -Sn) $(ulimit -Hn) $(ulimit -Su) $(ulimit -Hu)")).Ok().Stdout.Trim();
            }
            finally
            {
                (await docker.Docker("rm", "-f", id)).Ok();
            }
        }
        Assert.Equal(seen["runc"], seen[DockerDaemon.Runtime]);
    }
}
