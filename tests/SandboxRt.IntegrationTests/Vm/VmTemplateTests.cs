using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.Vm;

/// <summary>
/// VM templates through the real CLI (issue 17): the first sandbox of a shape builds the template, later
/// ones are clones restored from it with their own share, entropy, clock and agent token; a template that
/// cannot be restored falls back to a cold boot that says why; vm_template=false never makes one; a
/// clone gives back what its guest freed (free page reporting); a template's agent has built and removed
/// one container before the save, so that no clone does that first-time work.
/// Each test has a template directory of its own, so the first run always builds.
/// </summary>
[Trait("Tier", "vm")]
public sealed class VmTemplateTests
{
    private const string Restored = "restored from template";
    // hex of 16 random bytes, the wall clock, and the guest's boot id
    private const string Probe = "head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n'; echo; date +%s; cat /proc/sys/kernel/random/boot_id; exit 3";

    private static async Task<CliRun> RunAsync(string templates, string root, string id, params string[] options)
    {
        using var bundle = new TestBundle(s => s.Process!.Args = ["sh", "-c", Probe]);
        var args = new List<string> { "--config-option", "qemu.vm_template=true", "--config-option", $"qemu.template_directory={templates}" }; // on, also in make test's templates-off pass
        foreach (var o in options)
            args.AddRange(["--config-option", o]);
        args.AddRange(["run", "--timings", "--bundle", bundle.Directory, id]);
        var run = await CliRun.RunAsync(args, root: root);
        TestContext.Current.TestOutputHelper?.WriteLine($"{id}: exit {run.ExitCode} in {run.Elapsed.TotalSeconds:F1} s\nstdout: {run.Stdout}\nstderr: {run.Stderr}");
        return run;
    }

    private static (string Random, long Clock, string BootId) Parse(CliRun run)
    {
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length >= 3, $"expected three lines, got: {run.Stdout}");
        return (lines[0], long.Parse(lines[1]), lines[2]);
    }

    [Fact]
    public async Task Later_sandboxes_are_clones_of_the_template_the_first_built_and_share_no_entropy_or_clock_with_it()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var templates = new ScratchDirectory("srt-templates");
        using var state = new ScratchDirectory("srt-state");
        var first = await RunAsync(templates.Path, state.Path, "tpl-a-" + Guid.NewGuid().ToString("N")[..6]);
        Assert.Equal(3, first.ExitCode);
        Assert.Contains(Restored, first.Stderr); // it built the template, then restored a clone of it
        var key = Assert.Single(Directory.GetDirectories(templates.Path));
        Assert.Equal(16, Path.GetFileName(key).Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(key));
        // the template's agent built and removed a container before it was saved (agent: Boot/TemplateWarmUp.cs)
        var info = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(key, "template.json")))!;
        Assert.Matches("^template warm-up: a container built and removed in [0-9]+ ms$", info["warm_up"]!.GetValue<string>());
        Assert.True(info["warm_up_session_ms"]!.GetValue<long>() > 0); // and the builder had a host session with it, ended before the save

        var clones = new List<(string Random, long Clock, string BootId)>();
        clones.Add(Parse(first));
        foreach (var name in new[] { "tpl-b-", "tpl-c-" })
        {
            var id = name + Guid.NewGuid().ToString("N")[..6];
            var run = await RunAsync(templates.Path, state.Path, id);
            Assert.Equal(3, run.ExitCode); // the workload ran from its root file system on the hot-plugged share
            Assert.Contains(Restored, run.Stderr);
            clones.Add(Parse(run));
            LeakCheck.AssertNothingLeft(state.Path, id);
        }
        var host = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.Equal(clones.Count, clones.Select(c => c.Random).Distinct().Count());
        foreach (var clone in clones)
            Assert.InRange(clone.Clock, host - 600, host + 5); // set from the host's clock, not the template's
        TestContext.Current.TestOutputHelper?.WriteLine($"boot ids of the clones: {string.Join(' ', clones.Select(c => c.BootId))} (Linux makes it on its first read: after the restore)");
        Assert.All(clones, c => Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", c.BootId));
        Assert.Equal(clones.Count, clones.Select(c => c.BootId).Distinct().Count()); // nothing read it before the save
        Assert.Single(Directory.GetDirectories(templates.Path)); // one shape, one template
    }

    [Fact]
    public async Task A_bigger_vm_is_a_clone_of_the_same_template_grown_by_hot_plug_before_its_container_runs()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var templates = new ScratchDirectory("srt-templates");
        using var state = new ScratchDirectory("srt-state");
        Assert.Equal(3, (await RunAsync(templates.Path, state.Path, "tpl-s-" + Guid.NewGuid().ToString("N")[..6])).ExitCode);
        var key = Assert.Single(Directory.GetDirectories(templates.Path));

        // 256 MiB and one CPU of limits: default + 256 MiB, default + 1 vCPU (capped by the host's CPUs)
        using var bundle = new TestBundle(s =>
        {
            s.Process!.Args = ["sh", "-c", "nproc; grep MemTotal /proc/meminfo; exit 3"];
            s.Linux!.Resources = new() { Memory = new() { Limit = 256L << 20 }, Cpu = new() { Quota = 100000, Period = 100000 } };
        });
        var id = "tpl-g-" + Guid.NewGuid().ToString("N")[..6];
        var run = await CliRun.RunAsync(["--config-option", "qemu.vm_template=true", "--config-option", $"qemu.template_directory={templates.Path}", "run", "--timings", "--bundle", bundle.Directory, id], root: state.Path);
        TestContext.Current.TestOutputHelper?.WriteLine($"{id}: exit {run.ExitCode}\nstdout: {run.Stdout}\nstderr: {run.Stderr}");
        Assert.Equal(3, run.ExitCode);
        Assert.Contains(Restored, run.Stderr);
        Assert.Equal(key, Assert.Single(Directory.GetDirectories(templates.Path))); // no second template for the bigger size
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var config = VmTestConfig.Load();
        Assert.Equal(Math.Min(config.DefaultVcpus + 1, Environment.ProcessorCount), int.Parse(lines[0]));
        long memTotalMib = long.Parse(lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
        Assert.True(memTotalMib > config.DefaultMemoryMib + 128, $"MemTotal {memTotalMib} MiB: the 256 MiB the limit asked for were not plugged into a {config.DefaultMemoryMib} MiB clone");
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    [Fact]
    public async Task A_template_that_cannot_be_restored_gives_a_cold_boot_and_a_warning_that_says_why()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var templates = new ScratchDirectory("srt-templates");
        using var state = new ScratchDirectory("srt-state");
        Assert.Equal(3, (await RunAsync(templates.Path, state.Path, "tpl-d-" + Guid.NewGuid().ToString("N")[..6])).ExitCode);
        var key = Assert.Single(Directory.GetDirectories(templates.Path));
        File.WriteAllText(Path.Combine(key, "state"), "not QEMU's device state");

        var id = "tpl-e-" + Guid.NewGuid().ToString("N")[..6];
        var run = await RunAsync(templates.Path, state.Path, id);
        Assert.Equal(3, run.ExitCode);
        Assert.DoesNotContain(Restored, run.Stderr);
        Assert.Contains($"restoring template {Path.GetFileName(key)} failed", run.Stderr);
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    /// <summary>The bytes of data in a sparse file (its holes are memory the guest gave back, or never touched).</summary>
    private static long DataBytes(string file)
    {
        using var handle = File.OpenHandle(file);
        return SandboxRt.Interop.SparseFile.DataRanges(handle, file).Sum(r => r.Length);
    }

    [Fact]
    public async Task A_clones_ram_is_on_a_tmpfs_of_its_own_and_gives_the_memory_its_guest_freed_back_to_the_host()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var templates = new ScratchDirectory("srt-templates");
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s => s.Process!.Args = ["sleep", "600"]);
        var id = "tpl-g-" + Guid.NewGuid().ToString("N")[..6];
        string[] options = ["--config-option", "qemu.vm_template=true", "--config-option", $"qemu.template_directory={templates.Path}"]; // on, also in make test's templates-off pass
        try
        {
            var create = await CliRun.RunLeavingRelayAsync([.. options, "create", "--bundle", bundle.Directory, id], state.Path);
            Assert.True(create.ExitCode == 0, create.Stderr);
            var start = await CliRun.RunAsync([.. options, "start", id], root: state.Path);
            Assert.True(start.ExitCode == 0, start.Stderr);
            var ram = Path.Combine(state.Path, id, "guest-ram", "ram");
            // on a tmpfs of its own, whatever the state directory is on: guest memory is never written back to a disk
            Assert.Contains(File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')),
                f => f[4] == Path.GetDirectoryName(ram) && f[Array.IndexOf(f, "-") + 1] == "tmpfs" && f[Array.IndexOf(f, "-") + 2] != "sandboxrt-unbindable");
            long idle = DataBytes(ram);
            // 48 MiB into the container's /dev/shm (a tmpfs in the guest's RAM), then removed: the guest
            // frees it, reports it through the balloon, and QEMU punches it out of the clone's RAM file
            var fill = await CliRun.RunAsync(["exec", id, "sh", "-c", "head -c 50331648 /dev/zero > /dev/shm/fill && rm /dev/shm/fill"], root: state.Path);
            Assert.True(fill.ExitCode == 0, fill.Stderr);
            long peak = DataBytes(ram);
            await Condition.WaitAsync(() => DataBytes(ram) < idle + (16L << 20),
                $"the clone's RAM file to give back what its guest freed (idle {idle >> 20} MiB, after the fill {peak >> 20} MiB)");
            TestContext.Current.TestOutputHelper?.WriteLine($"clone RAM file data: idle {idle >> 20} MiB, after the fill {peak >> 20} MiB, then {DataBytes(ram) >> 20} MiB");
        }
        finally
        {
            await CliRun.RunAsync(["delete", "--force", id], root: state.Path);
        }
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    [Fact]
    public async Task With_templates_off_every_sandbox_boots_cold_and_none_is_made()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var templates = new ScratchDirectory("srt-templates");
        using var state = new ScratchDirectory("srt-state");
        Directory.Delete(templates.Path);
        var run = await RunAsync(templates.Path, state.Path, "tpl-f-" + Guid.NewGuid().ToString("N")[..6], "qemu.vm_template=false");
        Assert.Equal(3, run.ExitCode);
        Assert.DoesNotContain(Restored, run.Stderr);
        Assert.False(Directory.Exists(templates.Path));
        Directory.CreateDirectory(templates.Path); // for the scratch directory's own clean-up
    }
}
