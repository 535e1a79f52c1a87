using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.HostileGuest;

/// <summary>
/// The hostile-guest tier through containerd and the shim: a pod's later containers are added to a live
/// VM, so a guest that escaped its container (here the pod's sandbox container: every capability, no
/// seccomp, in the agent's pid namespace, reaching the share through the agent's own mount of it) has
/// the whole time between containers to prepare the share, and can race the host while it tears a
/// container down.
/// </summary>
[Trait("Tier", "hostile")]
[Collection("e2e")]
public sealed class HostileGuestShimTests(ContainerdDaemon containerd) : IClassFixture<ContainerdDaemon>
{
    private const string Runtime = "io.containerd.sandboxrt.v2";
    private static readonly string ShimBinary = Path.Combine(Path.GetDirectoryName(CliRun.Binary)!, "containerd-shim-sandboxrt-v2");

    [Fact]
    public async Task Symlinks_planted_where_the_next_containers_mounts_go_never_redirect_them()
    {
        Require();
        using var victim = new Victim();
        using var volume = NewVolume();
        var (pod, app, a) = NewPod();
        // Every place the next container's root file system and mounts could go: a symlink to the host directory.
        var plant = string.Join("; ", new[] { $"busybox mkdir -p {a}/mounts", $"busybox ln -s {victim.Path} {a}/rootfs" }
            .Concat(Enumerable.Range(0, 20).Select(i => $"busybox ln -s {victim.Path} {a}/mounts/{i}")));
        using var sandbox = await StartHostilePodAsync(pod, plant);
        try
        {
            // what the guest managed to plant (logged: nothing, when the share is read-only)
            await containerd.Ctr("task", "exec", "--exec-id", "look", pod, "sh", "-c", $"busybox ls -la {PrivilegedGuest.Share} {a} {a}/mounts 2>&1; true");
            var appRun = await containerd.Ctr(Run("--rm", "--label", "io.kubernetes.cri.container-type=container", "--label", "io.kubernetes.cri.sandbox-id=" + pod,
                "--mount", $"type=bind,src={volume.Path},dst=/data,options=rbind:rw", LocalImage.Reference, app, "cat", "/data/file"));
            victim.AssertUntouched();
            Assert.True(appRun.ExitCode == 0, appRun.Stderr);
            Assert.Equal("volume", appRun.Stdout.Trim());
        }
        finally
        {
            await RemoveAsync(pod, app);
        }
        await AssertCleanAsync(pod, victim, volume);
    }

    [Fact]
    public async Task Symlinks_raced_in_while_a_container_is_torn_down_never_reach_host_paths()
    {
        Require();
        using var victim = new Victim();
        using var volume = NewVolume();
        var (pod, app, a) = NewPod();
        // Once told to (/tmp/race), the guest keeps swapping the container's directory, directories in it,
        // and directories inside what it can write (the container's rootfs and volume) for symlinks to the
        // host directory (whose own "rootfs" and "mounts/0" mirror a container's).
        var race = string.Join('\n',
            "until [ -e /tmp/race ]; do sleep 0.1; done",
            "while true; do",
            $"  for d in {a}/rootfs {a}/mounts/*; do busybox mkdir -p $d/r/s; busybox mv $d/r $d/r.x; busybox ln -s {victim.Path} $d/r; busybox rm -f $d/r; busybox rm -rf $d/r.x; done",
            $"  busybox mv {a} {a}.x; busybox ln -s {victim.Path} {a}; busybox rm -f {a}; busybox mv {a}.x {a}",
            $"  busybox mv {a}/mounts {a}/mounts.x; busybox ln -s {victim.Path} {a}/mounts; busybox rm -f {a}/mounts; busybox mv {a}/mounts.x {a}/mounts",
            $"  busybox mkdir -p {a}/d/e; busybox mv {a}/d {a}/d.x; busybox ln -s {victim.Path} {a}/d; busybox rm -f {a}/d; busybox rm -rf {a}/d.x",
            "done 2>/dev/null");
        using var sandbox = await StartHostilePodAsync(pod, race);
        try
        {
            (await containerd.Ctr(Run("-d", "--label", "io.kubernetes.cri.container-type=container", "--label", "io.kubernetes.cri.sandbox-id=" + pod,
                "--mount", $"type=bind,src={volume.Path},dst=/data,options=rbind:rw", LocalImage.Reference, app, "sleep", "1000"))).Ok();
            (await containerd.Ctr("task", "exec", "--exec-id", "race", pod, "busybox", "touch", "/tmp/race")).Ok();
            await containerd.Ctr("task", "kill", "-s", "9", app);
            await containerd.Ctr("task", "delete", "-f", app);
            await containerd.Ctr("container", "delete", app);
            victim.AssertUntouched();
            var look = await containerd.Ctr("task", "exec", "--exec-id", "look", pod, "sh", "-c", $"busybox ls -la {PrivilegedGuest.Share} 2>&1");
            Assert.Equal(0, look.ExitCode);
        }
        finally
        {
            await RemoveAsync(pod, app);
        }
        await AssertCleanAsync(pod, victim, volume);
    }

    /// <summary>
    /// A pod id, its app container's id, and where the app container's directory is in the guest's view of
    /// the share: a shell pattern, since the name ends in a nonce ("&lt;id&gt;@&lt;16 hex&gt;") the guest cannot know
    /// beforehand (a plant made before it exists is made at the literal pattern, as good a guess as any).
    /// </summary>
    private static (string Pod, string App, string AppInShare) NewPod()
    {
        var pod = "hostile-" + Guid.NewGuid().ToString("N")[..8];
        return (pod, pod + "-app", $"{PrivilegedGuest.Share}/{pod}-app@*");
    }

    /// <summary>A host directory the app container gets as a writable volume, holding "file".</summary>
    private static ScratchDirectory NewVolume()
    {
        var volume = new ScratchDirectory("srt-vol");
        File.WriteAllText(volume.Combine("file"), "volume");
        return volume;
    }

    private void Require()
    {
        TestEnvironment.RequireVmPrerequisites();
        containerd.RequireRunning();
        TestEnvironment.RequireFile(ShimBinary, "the containerd shim (make build)");
    }

    /// <summary>
    /// The pod's sandbox container from a spec of the test's own (ctr run --config, because ctr's flags
    /// cannot leave out the pid namespace): privileged, in the agent's pid namespace, running
    /// <paramref name="attack"/> against the share and then sleeping. The bundle is its root file
    /// system: the caller keeps it until the pod is gone.
    /// </summary>
    private async Task<TestBundle> StartHostilePodAsync(string pod, string attack)
    {
        var sandbox = new TestBundle(s =>
        {
            PrivilegedGuest.MakePrivileged(s);
            s.Root!.Readonly = false;
            s.Process!.Args = ["sh", "-c", $"{PrivilegedGuest.RequireShare(pod)}\n{attack} 2>/dev/null\necho done > /tmp/attacked\nexec sleep 1000"];
            s.Annotations = new Dictionary<string, string> { ["io.kubernetes.cri.container-type"] = "sandbox" };
        });
        sandbox.Spec.Root!.Path = sandbox.Rootfs;
        sandbox.Save();
        (await containerd.Ctr(Run("-d", "--config", Path.Combine(sandbox.Directory, "config.json"), pod))).Ok();
        // an attack that loops forever is started only on a signal from the test; one that ends leaves /tmp/attacked
        if (!attack.Contains("while true"))
            (await containerd.Ctr("task", "exec", "--exec-id", "wait", pod, "sh", "-c", "until [ -e /tmp/attacked ]; do sleep 0.1; done")).Ok();
        return sandbox;
    }

    private async Task RemoveAsync(string pod, string app)
    {
        await containerd.Ctr("task", "kill", "-s", "9", pod);
        await containerd.Ctr("task", "delete", "-f", pod);
        await containerd.Ctr("container", "delete", pod);
        await containerd.Ctr("container", "delete", app);
    }

    /// <summary>The host directory untouched, the pod gone, and no bind of the volume left anywhere.</summary>
    private async Task AssertCleanAsync(string pod, Victim victim, ScratchDirectory volume)
    {
        victim.AssertUntouched();
        await HostLeaks.AssertGoneAsync(pod, SandboxRt.Shim.Cli.ShimPaths.Directory(containerd.Socket, "default", pod));
        // mountinfo's 4th field is the root of the mount within its file system: the volume's binds
        var left = File.ReadAllLines("/proc/self/mountinfo").Where(l => l.Split(' ')[3].StartsWith(volume.Path, StringComparison.Ordinal)).ToList();
        Assert.True(left.Count == 0, "binds of the volume left on the host: " + string.Join("\n", left));
        Assert.Equal("volume", File.ReadAllText(volume.Combine("file")));
        victim.AssertUntouched();
    }

    private string[] Run(params string[] rest)
    {
        var config = containerd.ScratchPath("qemu.json");
        if (!File.Exists(config))
            VmTestConfig.WriteFile(config);
        return ["run", "--runtime", Runtime, "--runtime-config-path", config, .. rest];
    }
}
