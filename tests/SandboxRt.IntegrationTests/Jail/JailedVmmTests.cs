using SandboxRt.Interop;
using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.Jail;

/// <summary>
/// A sandbox made through the real CLI: its QEMU runs as a user of its own, with no capabilities, in the
/// cgroup the spec names (virtiofsd and the relay too), sees a root without the host's secrets, and
/// delete leaves nothing: no cgroup directory, no uid reservation, no /run/virtiofsd file.
/// </summary>
[Trait("Tier", "vm")]
public sealed class JailedVmmTests
{
    private const string JailUsers = "/run/sandboxrt/jail-users";

    [Fact]
    public async Task Qemu_runs_as_its_own_user_in_the_specs_cgroup_and_delete_leaves_nothing()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        var id = "jail-" + Guid.NewGuid().ToString("N")[..8];
        var top = "/sandboxrt-test-" + Guid.NewGuid().ToString("N")[..12];
        var cgroupsPath = $"{top}/{id}";
        using var bundle = new TestBundle(s =>
        {
            s.Process!.Args = ["sleep", "3600"];
            s.Linux!.CgroupsPath = cgroupsPath;
        });
        var pidFile = state.Combine("init.pid");
        var socketDirectory = SandboxRt.Runtime.Storage.SocketDirectory.For(Path.Combine(state.Path, id));
        try
        {
            var create = await CliRun.RunLeavingRelayAsync(["create", "--bundle", bundle.Directory, "--pid-file", pidFile, id], state.Path);
            Assert.True(create.ExitCode == 0, create.Stderr);
            int relay = int.Parse(File.ReadAllText(pidFile));
            int qemu = Assert.Single(ProcessTable.Find($"sandboxrt-{id},"));

            var status = new ProcStatus(qemu);
            var uid = status.Ids("Uid");
            Assert.True(uid[0] != 0, "QEMU runs as root");
            Assert.All(uid, u => Assert.Equal(uid[0], u));
            Assert.Equal(uid, status.Ids("Gid"));
            Assert.Equal("", status["Groups"]);
            foreach (var set in new[] { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" })
                Assert.True(status.Capabilities(set) == 0, $"QEMU's {set} is {status[set]}");
            Assert.Equal("1", status["NoNewPrivs"]);
            Assert.Equal("2", status["Seccomp"]); // -sandbox on
            Assert.Equal(Path.Combine(state.Path, id), File.ReadAllText(Path.Combine(JailUsers, uid[0].ToString())).Trim());

            // Namespaces of its own for mounts, network (no host loopback services or abstract sockets), IPC
            // and pids.
            foreach (var ns in new[] { "mnt", "net", "ipc", "pid" })
                Assert.True(new FileInfo($"/proc/{qemu}/ns/{ns}").LinkTarget != new FileInfo($"/proc/self/ns/{ns}").LinkTarget, $"QEMU shares the host's {ns} namespace");
            // QEMU is pid 1 of its pid namespace, and alone there: it can see and signal no host process.
            // The host knows it by its host pid (the one found above, and the one the runtime spawned).
            Assert.Equal([qemu.ToString(), "1"], status["NSpid"].Split('\t'));
            Assert.Equal([qemu], ProcessesInPidNamespace(new FileInfo($"/proc/{qemu}/ns/pid").LinkTarget!));

            // Its root: what it needs, nothing of the host's state or secrets.
            var root = ProcStatus.RootEntries(qemu);
            Assert.Contains("usr", root);
            Assert.Contains("dev", root);
            foreach (var hidden in new[] { "etc", "root", "home", "proc", "sys" })
                Assert.True(!root.Contains(hidden), $"QEMU sees /{hidden} (its root: {string.Join(' ', root)})");
            // Of the state tree (/run, or /tmp for this test) only the path to its own agent token, which
            // QEMU opens by path for fw_cfg, and, for a VM restored from a template, its own guest RAM file
            // (memory-backend-file): no other file of the state directory, no other sandbox.
            var token = Path.Combine(state.Path, id, "agent-token");
            var ram = Path.Combine(state.Path, id, "guest-ram", "ram");
            foreach (var dir in new[] { "run", "tmp" }.Where(root.Contains))
            {
                var seen = Directory.EnumerateFileSystemEntries($"/proc/{qemu}/root/{dir}", "*", SearchOption.AllDirectories)
                    .Select(e => e[$"/proc/{qemu}/root".Length..])
                    .Where(e => !File.GetAttributes($"/proc/{qemu}/root{e}").HasFlag(FileAttributes.Directory)).ToList();
                Assert.True(seen.All(e => e == token || e == ram), $"QEMU sees {string.Join(", ", seen)} under /{dir}");
            }
            var entries = Directory.EnumerateFileSystemEntries($"/proc/{qemu}/root{Path.Combine(state.Path, id)}").Select(Path.GetFileName).ToList();
            Assert.Contains("agent-token", entries);
            Assert.Subset(new HashSet<string?> { "agent-token", "guest-ram" }, entries.ToHashSet());

            // QEMU, virtiofsd (both processes) and the relay are in the pod's cgroup, in every hierarchy;
            // the relay in a v1 memory hierarchy in a cgroup of its own below it (HostOomReport says why).
            var virtiofsd = ProcessTable.Find(Path.Combine(state.Path, id)).Where(p => File.ReadAllText($"/proc/{p}/cmdline").Contains("virtiofsd")).ToList();
            Assert.NotEmpty(virtiofsd);
            foreach (var pid in virtiofsd.Append(qemu))
                Assert.All(ProcStatus.Cgroups(pid), c => Assert.True(c.Path == cgroupsPath, $"pid {pid} is in {c.Hierarchy}:{c.Path}"));
            Assert.All(ProcStatus.Cgroups(relay), c => Assert.True(c.Path == (c.Hierarchy == "memory" ? cgroupsPath + "/" + SandboxRt.Runtime.HostCgroups.HostCgroup.RelayLeaf : cgroupsPath),
                $"the relay is in {c.Hierarchy}:{c.Path}"));
            // virtiofsd's own sandboxing (--sandbox namespace, its default) forks the server into a pid
            // namespace of its own, where it is pid 1 and alone; the parent that waits for it stays in ours.
            var inOurs = virtiofsd.Where(p => Namespaces.Identity($"/proc/{p}/ns/pid") == Namespaces.Identity("/proc/self/ns/pid")).ToList();
            int server = Assert.Single(virtiofsd.Except(inOurs));
            Assert.Single(inOurs);
            Assert.Equal([server.ToString(), "1"], new ProcStatus(server)["NSpid"].Split('\t'));
            Assert.Equal([server], ProcessesInPidNamespace(Namespaces.Identity($"/proc/{server}/ns/pid")));
            // virtiofsd stays root, with no_new_privs, and cannot make device nodes for the guest.
            Assert.All(virtiofsd, p => Assert.Equal("1", new ProcStatus(p)["NoNewPrivs"]));
            Assert.All(virtiofsd, p => Assert.True((new ProcStatus(p).Capabilities("CapEff") & (1UL << 27)) == 0, "virtiofsd has CAP_MKNOD"));

            Assert.Equal(0, (await CliRun.RunAsync(["kill", id, "KILL"], root: state.Path)).ExitCode);
            for (int i = 0; i < 300 && ChildProcesses.Exists(relay); i++)
                await Task.Delay(100);
            var delete = await CliRun.RunAsync(["delete", id], root: state.Path);
            Assert.True(delete.ExitCode == 0, delete.Stderr);

            await HostLeaks.AssertGoneAsync(id, state.Path);
            Assert.Empty(CgroupDirectories(top));
            Assert.False(File.Exists(Path.Combine(JailUsers, uid[0].ToString())), $"the reservation of uid {uid[0]} was left behind");
            Assert.Empty(VirtiofsdPidFiles(socketDirectory));
        }
        finally
        {
            await CliRun.RunAsync(["delete", "--force", id], root: state.Path);
        }
    }

    /// <summary>Every host process whose pid namespace is <paramref name="ns"/> (a /proc/PID/ns/pid link target).</summary>
    internal static List<int> ProcessesInPidNamespace(string ns)
    {
        var found = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out int pid))
                continue;
            try
            {
                if (new FileInfo($"{entry}/ns/pid").LinkTarget == ns)
                    found.Add(pid);
            }
            catch (IOException)
            {
                // gone meanwhile
            }
        }
        return found;
    }

    /// <summary>/sys/fs/cgroup/TOP (pure v2) and /sys/fs/cgroup/HIERARCHY/TOP (hybrid, v1) that exist.</summary>
    internal static List<string> CgroupDirectories(string top) =>
        Directory.EnumerateDirectories("/sys/fs/cgroup").Append("/sys/fs/cgroup").Select(d => d + top).Where(Directory.Exists).ToList();

    /// <summary>What C virtiofsd leaves for --socket-path: /run/virtiofsd/&lt;the path with '/' as '.'&gt;.pid.</summary>
    internal static List<string> VirtiofsdPidFiles(string socketDirectory) =>
        Directory.Exists("/run/virtiofsd")
            ? Directory.EnumerateFiles("/run/virtiofsd").Where(f => f.Contains(Path.GetFileName(socketDirectory))).ToList()
            : [];
}
