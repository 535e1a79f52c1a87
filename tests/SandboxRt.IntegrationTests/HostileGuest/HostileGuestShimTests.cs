using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.HostileGuest;

/// <summary>
/// The hostile-guest tier through containerd and the shim: a pod's later containers are added to a live
/// VM, so a guest that escaped its container (here the pod's sandbox container, with CAP_SYS_ADMIN and no
/// seccomp, mounting the share itself) has the whole time between containers to prepare the share, and
/// keeps racing while the host tears a container down.
/// </summary>
[Trait("Tier", "hostile")]
[Collection("e2e")]
public sealed class HostileGuestShimTests(ContainerdDaemon containerd) : IClassFixture<ContainerdDaemon>
{
    private const string Runtime = "io.containerd.sandboxrt.v2";
    private static readonly string ShimBinary = Path.Combine(Path.GetDirectoryName(CliRun.Binary)!, "containerd-shim-sandboxrt-v2");

    [Fact]
    public async Task Symlinks_planted_for_the_next_container_and_raced_during_its_teardown_never_reach_host_paths()
    {
        TestEnvironment.RequireVmPrerequisites();
        containerd.RequireRunning();
        TestEnvironment.RequireFile(ShimBinary, "the containerd shim (make build)");
        using var victim = new Victim();
        using var volume = new ScratchDirectory("srt-vol");
        File.WriteAllText(volume.Combine("file"), "volume");
        var pod = "hostile-" + Guid.NewGuid().ToString("N")[..8];
        var app = pod + "-app";
        var a = $"{PrivilegedGuest.ShareMount}/{app}";
        // Every place the next container's mounts could go gets a symlink to the host directory, then the
        // guest keeps swapping the container's directory for one while the host works in it.
        var plantEverywhere = string.Join("; ", Enumerable.Range(0, 20).Select(i => $"busybox ln -s {victim.Path} {a}/mounts/{i}"));
        var script = string.Join('\n',
            PrivilegedGuest.MountShare,
            $"busybox mkdir -p {a}/mounts 2>/dev/null; busybox ln -s {victim.Path} {a}/rootfs 2>/dev/null; {{ {plantEverywhere}; }} 2>/dev/null",
            $"busybox ln -s {victim.Path} {PrivilegedGuest.ShareMount}/{app}-link 2>/dev/null",
            "echo planted > /tmp/planted",
            "while true; do",
            $"  busybox mv {a} {a}.x; busybox ln -s {victim.Path} {a}; busybox rm -f {a}; busybox mv {a}.x {a}",
            $"  busybox mkdir -p {a}/d; busybox mv {a}/d {a}/d.x; busybox ln -s {victim.Path} {a}/d; busybox rm -f {a}/d; busybox rm -rf {a}/d.x",
            "done 2>/dev/null");
        (await containerd.Ctr(Run("-d", "--cap-add", "CAP_SYS_ADMIN", "--label", "io.kubernetes.cri.container-type=sandbox",
            LocalImage.Reference, pod, "sh", "-c", script))).Ok();
        try
        {
            var planted = await containerd.Ctr("task", "exec", "--exec-id", "wait", pod, "sh", "-c", "until [ -e /tmp/planted ]; do sleep 0.1; done; busybox ls -la /mnt /mnt/* 2>&1 | head -40");
            Assert.Equal(0, planted.ExitCode);

            var appRun = await containerd.Ctr(Run("--rm", "--label", "io.kubernetes.cri.container-type=container", "--label", "io.kubernetes.cri.sandbox-id=" + pod,
                "--mount", $"type=bind,src={volume.Path},dst=/data,options=rbind:rw", LocalImage.Reference, app, "cat", "/data/file"));
            victim.AssertUntouched();
            Assert.True(appRun.ExitCode == 0, appRun.Stderr);
            Assert.Equal("volume", appRun.Stdout.Trim());
            Assert.Equal("volume", File.ReadAllText(volume.Combine("file")));
        }
        finally
        {
            await containerd.Ctr("task", "kill", "-s", "9", pod);
            await containerd.Ctr("task", "delete", "-f", pod);
            await containerd.Ctr("container", "delete", pod);
            await containerd.Ctr("container", "delete", app);
        }
        victim.AssertUntouched();
        await HostLeaks.AssertGoneAsync(pod, SandboxRt.Shim.Cli.ShimPaths.Directory(containerd.Socket, "default", pod));
        // no bind of the volume is left anywhere (mountinfo's 4th field is the root of the mount in its file system)
        var left = File.ReadAllLines("/proc/self/mountinfo").Where(l => l.Split(' ')[3].StartsWith(volume.Path, StringComparison.Ordinal)).ToList();
        Assert.True(left.Count == 0, "binds of the volume left on the host: " + string.Join("\n", left));
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
