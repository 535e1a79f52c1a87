using SandboxRt.Interop;
using SandboxRt.IntegrationTests.Support;
using SandboxRt.Runtime.HostCgroups;

namespace SandboxRt.IntegrationTests.Jail;

/// <summary>The pod's host cgroup against this host's real hierarchies (hybrid here: every v1 controller and cgroup2).</summary>
[Trait("Tier", "host")]
public sealed class HostCgroupHostTests
{
    [Fact]
    public async Task A_missing_path_is_made_in_every_hierarchy_joined_and_removed_with_what_was_made()
    {
        TestEnvironment.RequireRoot();
        using var state = new ScratchDirectory("srt-cg");
        var top = "/sandboxrt-test-" + Guid.NewGuid().ToString("N")[..12];
        var path = top + "/pod/vm";
        var hierarchies = CgroupHierarchies.Discover();
        var cgroup = HostCgroup.Create(path);
        cgroup.Save(state.Path);
        int pid = ProcessSpawner.Spawn(new SpawnOptions { Path = "/bin/sleep", Arguments = ["sleep", "120"] });
        try
        {
            Assert.Equal(hierarchies.Count, cgroup.Directories.Count);
            Assert.Equal(hierarchies.Count * 3, cgroup.Created.Count); // top, pod and vm in each
            HostCgroup.JoinRelayRecorded(state.Path, pid); // as `create` puts the relay in it
            var joined = File.ReadAllLines($"/proc/{pid}/cgroup");
            Assert.Equal(hierarchies.Count, joined.Length);
            // beside the VM everywhere, but in a memory cgroup of its own (where a guest OOM kill is reported)
            Assert.All(joined, line => Assert.EndsWith(line.Split(':')[1] == "memory" ? ":" + path + "/" + HostCgroup.RelayLeaf : ":" + path, line));
            Assert.Equal(hierarchies.Count * 3 + 1, HostCgroup.Load(state.Path)!.Created.Count);
        }
        finally
        {
            ChildProcesses.Signal(pid, 9);
            await Task.Run(() => ChildProcesses.TryWait(pid, true, out _, out _));
        }
        HostCgroup.RemoveRecorded(state.Path);
        Assert.All(hierarchies, h => Assert.False(Directory.Exists(h.DirectoryOf(top)), $"{h.DirectoryOf(top)} was left behind"));
        Assert.False(File.Exists(Path.Combine(state.Path, HostCgroup.RecordFile)));
    }

    [Fact]
    public async Task A_process_left_in_the_sandboxs_cgroup_whose_pid_was_never_recorded_is_killed_and_the_cgroup_removed()
    {
        // A shim or relay killed between spawning the VMM and saving its pid leaves a VMM that only the
        // cgroup knows about; the clean-up (shim delete, sandboxrt delete) has the cgroup's record alone.
        TestEnvironment.RequireRoot();
        using var scratch = new ScratchDirectory("srt-cg");
        var state = Directory.CreateDirectory(Path.Combine(scratch.Path, "sandbox")).FullName;
        var top = "/sandboxrt-test-" + Guid.NewGuid().ToString("N")[..12];
        var hierarchies = CgroupHierarchies.Discover();
        var cgroup = HostCgroup.Create(top + "/vm");
        cgroup.Save(state);
        int pid = ProcessSpawner.Spawn(new SpawnOptions { Path = "/bin/sleep", Arguments = ["sleep", "600"] });
        var reaped = Task.Run(() => ChildProcesses.TryWait(pid, true, out _, out var status) ? status : default);
        try
        {
            foreach (var directory in cgroup.Directories)
                HostCgroup.JoinOne(directory, pid); // as the jailer joins before exec
            await SandboxRt.Runtime.Core.SandboxRemains.RemoveAsync(state, hypervisor: null, virtiofsd: null, TimeSpan.FromSeconds(1), []);

            var status = await reaped.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            Assert.True(status.Signaled && status.TermSignal == 9, $"the unrecorded process ended with {status}, not SIGKILL");
            Assert.All(hierarchies, h => Assert.False(Directory.Exists(h.DirectoryOf(top + "/vm")), $"{h.DirectoryOf(top + "/vm")} was left behind"));
            Assert.False(Directory.Exists(state));
        }
        finally
        {
            if (!reaped.IsCompleted)
                ChildProcesses.Signal(pid, 9);
            await reaped;
            foreach (var h in hierarchies)
                foreach (var leaf in new[] { "/vm", "" })
                    if (Directory.Exists(h.DirectoryOf(top + leaf)))
                        Directory.Delete(h.DirectoryOf(top + leaf));
        }
    }

    [Fact]
    public void What_existed_before_stays_and_a_parent_still_in_use_is_left_alone()
    {
        TestEnvironment.RequireRoot();
        var top = "/sandboxrt-test-" + Guid.NewGuid().ToString("N")[..12];
        var first = HostCgroup.Create(top + "/a");
        try
        {
            var second = HostCgroup.Create(top + "/b");
            Assert.All(second.Created, d => Assert.EndsWith("/b", d)); // the top existed: only b is second's
            first.Remove(); // removes a; its top has b under it and stays
            Assert.All(second.Directories, d => Assert.True(Directory.Exists(d)));
            second.Remove();
            Assert.All(second.Directories, d => Assert.True(Directory.Exists(Path.GetDirectoryName(d)!), "the top is first's, left behind by it while b used it"));
        }
        finally
        {
            first.Remove();
            foreach (var h in CgroupHierarchies.Discover())
            {
                foreach (var leaf in new[] { "/a", "/b", "" })
                {
                    try
                    {
                        Directory.Delete(h.DirectoryOf(top + leaf));
                    }
                    catch (DirectoryNotFoundException)
                    {
                    }
                }
            }
        }
    }

    [Fact]
    public void The_cpuset_of_a_new_v1_cgroup_is_its_parents_so_processes_can_join()
    {
        TestEnvironment.RequireRoot();
        var cpuset = CgroupHierarchies.Discover().FirstOrDefault(h => h.Controllers == "cpuset");
        if (cpuset is null)
            Assert.Skip("no cgroup v1 cpuset hierarchy on this host (pure cgroup v2)");
        var cgroup = HostCgroup.Create("/sandboxrt-test-" + Guid.NewGuid().ToString("N")[..12] + "/x");
        try
        {
            var dir = cpuset.DirectoryOf(cgroup.Path);
            Assert.Equal(File.ReadAllText(Path.Combine(cpuset.MountPoint, "cpuset.cpus")).Trim(), File.ReadAllText(Path.Combine(dir, "cpuset.cpus")).Trim());
            Assert.Equal(File.ReadAllText(Path.Combine(cpuset.MountPoint, "cpuset.mems")).Trim(), File.ReadAllText(Path.Combine(dir, "cpuset.mems")).Trim());
        }
        finally
        {
            cgroup.Remove();
        }
    }
    [Fact]
    public void A_pinned_cpuset_is_written_unpinning_gives_the_parents_back_and_cpus_the_host_has_not_are_named()
    {
        TestEnvironment.RequireRoot();
        var cgroup = HostCgroup.Create("/sandboxrt-test-" + Guid.NewGuid().ToString("N")[..12] + "/x");
        try
        {
            var dir = cgroup.Directories.FirstOrDefault(d => File.Exists(Path.Combine(d, "cpuset.cpus")));
            if (dir is null)
                TestEnvironment.Skip("no cpuset controller in this host's cgroups");
            string Read(string file) => File.ReadAllText(Path.Combine(dir, file)).Trim();
            bool unified = File.Exists(Path.Combine(dir, "cgroup.controllers"));
            var parentCpus = Read(unified ? "cpuset.cpus.effective" : "cpuset.cpus"); // a new cgroup's are its parent's
            var last = SandboxRt.Oci.Validation.CpuList.TryParse(parentCpus, out _)!.Max;

            cgroup.SetCpuset(new HostCpuset($"{last}", "0"));
            Assert.Equal($"{last}", Read("cpuset.cpus"));
            Assert.Equal("0", Read("cpuset.mems"));

            cgroup.SetCpuset(HostCpuset.Unpinned);
            Assert.Equal(parentCpus, Read(unified ? "cpuset.cpus.effective" : "cpuset.cpus"));

            var e = Assert.Throws<IOException>(() => cgroup.SetCpuset(new HostCpuset("4000", null)));
            Assert.StartsWith("linux.resources.cpu.cpus \"4000\": the host cgroup refuses it: ", e.Message);
            Assert.Contains($"(the host allows {parentCpus} here)", e.Message);
        }
        finally
        {
            cgroup.Remove();
        }
    }
}
