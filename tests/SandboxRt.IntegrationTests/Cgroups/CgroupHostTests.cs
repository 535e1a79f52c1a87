using System.Diagnostics;
using SandboxRt.Cgroups;
using SandboxRt.Interop;

namespace SandboxRt.IntegrationTests.Cgroups;

/// <summary>Cgroup lifecycle on this host's real cgroup2 hierarchy: membership, freezing, killing, stats, removal.</summary>
[Trait("Tier", "host")]
public sealed class CgroupHostTests
{
    [Fact]
    public async Task Freeze_thaw_kill_and_remove_a_cgroup_with_a_process()
    {
        await using var scratch = ScratchCgroup.Create("c1");
        var cgroup = scratch.Cgroup;
        Assert.True(File.Exists(Path.Combine(cgroup.Path, "cgroup.freeze")), "cgroup.freeze is missing on this kernel");
        int pid = ProcessSpawner.Spawn(new SpawnOptions { Path = "/bin/sleep", Arguments = ["sleep", "60"] });
        try
        {
            cgroup.AddProcess(pid);
            Assert.Equal([pid], cgroup.ListProcesses());
            Assert.True(cgroup.IsPopulated);
            Assert.Contains($"0::/{scratch.Name}/c1", File.ReadAllText($"/proc/{pid}/cgroup"));

            await cgroup.FreezeAsync(cancellationToken: TestContext.Current.CancellationToken);
            Assert.True(cgroup.IsFrozen);
            Assert.Equal("1", cgroup.Read("cgroup.freeze").Trim());

            await cgroup.ThawAsync(cancellationToken: TestContext.Current.CancellationToken);
            Assert.False(cgroup.IsFrozen);

            // The cgroup cannot go while a process lives in it: EBUSY, retried until the timeout.
            var busy = await Assert.ThrowsAsync<CgroupException>(() => cgroup.RemoveAsync(TimeSpan.FromMilliseconds(200), TestContext.Current.CancellationToken));
            Assert.Equal(Errno.EBUSY, busy.Errno);
            Assert.Equal($"rmdir {cgroup.Path}: EBUSY (Device or resource busy) for 0.2 s (processes or child cgroups remain)", busy.Message);

            await cgroup.FreezeAsync(cancellationToken: TestContext.Current.CancellationToken);
            cgroup.KillAll(); // SIGKILL reaches frozen processes
            var status = await Task.Run(() => { ChildProcesses.TryWait(pid, true, out _, out var s); return s; }, TestContext.Current.CancellationToken);
            Assert.True(status.Signaled);
            Assert.Equal(9, status.TermSignal);
            pid = 0;

            var clock = Stopwatch.StartNew();
            while (cgroup.IsPopulated && clock.Elapsed < TimeSpan.FromSeconds(5))
                await Task.Delay(10, TestContext.Current.CancellationToken);
            Assert.Empty(cgroup.ListProcesses());
            await cgroup.RemoveAsync(cancellationToken: TestContext.Current.CancellationToken);
            Assert.False(Directory.Exists(cgroup.Path));
            await cgroup.RemoveAsync(cancellationToken: TestContext.Current.CancellationToken); // already gone: fine
        }
        finally
        {
            if (pid != 0)
            {
                ChildProcesses.Signal(pid, 9);
                ChildProcesses.TryWait(pid, true, out _, out _);
            }
        }
    }

    [Fact]
    public async Task Stats_show_the_controllers_this_hierarchy_has()
    {
        await using var scratch = ScratchCgroup.Create();
        var stats = scratch.Cgroup.ReadStats();
        Assert.NotNull(stats.Cpu); // cpu.stat is always there
        var hasMemory = File.Exists(Path.Combine(scratch.Cgroup.Path, "memory.current"));
        Assert.Equal(hasMemory, stats.Memory is not null);
    }

    [Fact]
    public async Task Create_only_enables_controllers_the_parent_offers()
    {
        await using var scratch = ScratchCgroup.Create("a/b");
        var top = scratch.Manager.Resolve(scratch.Name);
        var offered = File.ReadAllText(Path.Combine(top, "cgroup.controllers")).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var enabled = File.ReadAllText(Path.Combine(top, "cgroup.subtree_control")).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(CgroupManager.DefaultControllers.Where(offered.Contains).Order(), enabled.Order());
        Assert.True(Directory.Exists(scratch.Cgroup.Path));
    }

    [Fact]
    public async Task A_value_the_kernel_refuses_is_reported_with_file_value_and_errno()
    {
        await using var scratch = ScratchCgroup.Create();
        var e = Assert.Throws<CgroupException>(() => scratch.Cgroup.Write(new("cgroup.freeze", "7")));
        Assert.Equal($"write {scratch.Cgroup.Path}/cgroup.freeze \"7\": ERANGE (Numerical result out of range)", e.Message);
    }
}
