using SandboxRt.Interop;
using SandboxRt.IntegrationTests.Support;
using SandboxRt.Runtime.HostCgroups;

namespace SandboxRt.IntegrationTests.Jail;

/// <summary>
/// A guest OOM kill reported in the relay's real v1 memory cgroup: the kernel counts one OOM kill there,
/// and neither the relay nor the VMM beside it (stand-ins: sleep) is harmed. That the count reaches
/// containerd's runc shim and Docker is DockerTests' to show.
/// </summary>
[Trait("Tier", "host")]
public sealed class HostOomReportHostTests
{
    [Fact]
    public async Task The_kernel_oom_kills_only_the_hog_and_the_relay_and_the_vmm_live_on_and_a_pod_near_its_limit_gets_none()
    {
        TestEnvironment.RequireRoot();
        var hierarchies = CgroupHierarchies.Discover();
        if (!hierarchies.Any(h => h.Controllers.Split(',').Contains("memory")))
            TestEnvironment.Skip("no v1 memory hierarchy on this host (pure cgroup v2): nothing is reported there");
        var top = "/sandboxrt-test-" + Guid.NewGuid().ToString("N")[..12];
        var cgroup = HostCgroup.Create(top + "/pod", hierarchies);
        var sleeps = new List<int>();
        try
        {
            int vmm = ProcessSpawner.Spawn(new SpawnOptions { Path = "/bin/sleep", Arguments = ["sleep", "120"] });
            sleeps.Add(vmm);
            int relay = ProcessSpawner.Spawn(new SpawnOptions { Path = "/bin/sleep", Arguments = ["sleep", "120"] });
            sleeps.Add(relay);
            foreach (var directory in cgroup.Directories)
                HostCgroup.JoinOne(directory, vmm);
            cgroup.JoinRelay(relay, hierarchies);
            var leaf = cgroup.RelayDirectory!;
            var limit = File.ReadAllText(Path.Combine(leaf, "memory.limit_in_bytes"));

            Assert.Equal(1, await HostOomReport.RaiseAsync(leaf, relay));
            Assert.Equal(2, await HostOomReport.RaiseAsync(leaf, relay));

            Assert.True(ChildProcesses.Exists(relay) && ChildProcesses.Exists(vmm));
            Assert.False(ChildProcesses.TryWait(relay, false, out _, out _), "the relay stand-in exited");
            Assert.False(ChildProcesses.TryWait(vmm, false, out _, out _), "the VMM stand-in exited");
            Assert.Equal(relay.ToString(), File.ReadAllText(Path.Combine(leaf, "cgroup.procs")).Trim()); // back where the shim watches
            Assert.Equal(limit, File.ReadAllText(Path.Combine(leaf, "memory.limit_in_bytes")));
            var pod = Path.GetDirectoryName(leaf)!;
            Assert.Contains("oom_kill 0", File.ReadAllText(Path.Combine(pod, "memory.oom_control"))); // the pod's cgroup had none

            // a pod cgroup close to its limit (kubelet's): no report, nothing killed, the relay back in place
            var podLimit = File.ReadAllText(Path.Combine(pod, "memory.limit_in_bytes")).Trim();
            File.WriteAllText(Path.Combine(pod, "memory.limit_in_bytes"), (long.Parse(File.ReadAllText(Path.Combine(pod, "memory.usage_in_bytes"))) + (4L << 20)).ToString());
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => HostOomReport.RaiseAsync(leaf, relay));
            Assert.Contains(pod, refused.Message);
            File.WriteAllText(Path.Combine(pod, "memory.limit_in_bytes"), podLimit);
            Assert.Contains("oom_kill 2", File.ReadAllText(Path.Combine(leaf, "memory.oom_control")));
            Assert.Equal(relay.ToString(), File.ReadAllText(Path.Combine(leaf, "cgroup.procs")).Trim());
            Assert.True(ChildProcesses.Exists(relay) && ChildProcesses.Exists(vmm));
        }
        finally
        {
            foreach (var pid in sleeps)
            {
                ChildProcesses.Signal(pid, 9);
                await Task.Run(() => ChildProcesses.TryWait(pid, true, out _, out _));
            }
            cgroup.Remove();
        }
        Assert.All(hierarchies, h => Assert.False(Directory.Exists(h.DirectoryOf(top)), $"{h.DirectoryOf(top)} was left behind"));
    }

    /// <summary>
    /// The relay's wait for its shim to take the kernel's OOM notification: a process holding an eventfd
    /// with a count not read yet (as the shim's is between the kill and its read) keeps the wait going,
    /// and the wait ends once that process has read it.
    /// </summary>
    [Fact]
    public async Task The_wait_for_the_watcher_ends_when_it_has_read_its_eventfd()
    {
        TestEnvironment.RequireCommand("python3", "python3");
        var watcher = new System.Diagnostics.Process
        {
            StartInfo = new("python3", ["-c", "import os, sys\nfd = os.eventfd(1)\nprint('pending', flush=True)\nsys.stdin.readline()\nos.eventfd_read(fd)\nprint('read', flush=True)\nsys.stdin.readline()"])
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
            },
        };
        watcher.Start();
        try
        {
            Assert.Equal("pending", await watcher.StandardOutput.ReadLineAsync());
            Assert.Equal(1, HostOomReport.PendingEventfds(watcher.Id));
            var waiting = HostOomReport.WaitForWatcherAsync(watcher.Id, TimeSpan.FromMinutes(5));
            Assert.False(waiting.IsCompleted, "the wait ended while the eventfd was not read");
            await watcher.StandardInput.WriteLineAsync();
            await watcher.StandardInput.FlushAsync();
            Assert.Equal("read", await watcher.StandardOutput.ReadLineAsync());
            await waiting.WaitAsync(TimeSpan.FromSeconds(60)); // the bound is 5 minutes: it ended on the read
            Assert.Equal(0, HostOomReport.PendingEventfds(watcher.Id));
            Assert.Equal(0, HostOomReport.PendingEventfds(int.MaxValue)); // no such process: nothing to wait for
        }
        finally
        {
            watcher.Kill();
            await watcher.WaitForExitAsync();
            watcher.Dispose();
        }
    }
}
