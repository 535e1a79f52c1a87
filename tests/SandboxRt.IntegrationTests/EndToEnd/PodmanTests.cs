using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.EndToEnd;

/// <summary>podman 4.3 (through conmon) with `--runtime` pointing at SandboxRt.</summary>
[Trait("Tier", "e2e")]
[Collection("e2e")]
public sealed class PodmanTests
{
    // CAP_SYS_RESOURCE is missing on these hosts: podman needs explicit limits (shared/ENVIRONMENT.md).
    private static readonly string[] Limits = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"];

    [Fact]
    public async Task Podman_run_returns_output_and_exit_code()
    {
        TestEnvironment.RequireVmPrerequisites();
        TestEnvironment.RequireCommand("podman", "podman");
        CliRun.RequireBinary();
        using var dir = new ScratchDirectory("srt-podman");
        string[] podman = ["--root", dir.Combine("root"), "--runroot", dir.Combine("run"), "--cgroup-manager", "cgroupfs", "--events-backend", "file", "--runtime", CliRun.ClientBinary];
        try
        {
            (await Command.RunAsync("podman", [.. podman, "load", "-i", await LocalImage.ArchiveAsync()])).Ok();
            var run = await Command.RunAsync("podman", [.. podman, "run", "--rm", "--network", "none", .. Limits,
                LocalImage.Reference, "sh", "-c", "echo hi from podman; uname -r; exit 5"]);
            Assert.Equal(5, run.ExitCode);
            var lines = run.Stdout.Split('\n');
            Assert.Equal("hi from podman", lines[0]);
            Assert.NotEqual(TestEnvironment.HostKernelRelease, lines[1]);
        }
        finally
        {
            await Command.RunAsync("podman", [.. podman, "rm", "-af"]);
            foreach (var mount in File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4]).Where(m => m.StartsWith(dir.Path)).OrderByDescending(m => m.Length))
                SandboxRt.Interop.FileSystem.TryUnmount(mount, detach: true);
        }
    }

    /// <summary>
    /// A podman pod: its containers name the infra container's network, ipc and uts namespaces by its pid
    /// (its relay's). They run in the infra container's VM (the network: NetworkJoin) and share its ipc
    /// and uts namespaces there (NamespaceShare): the same VM (boot_id), the pod's hostname, the same
    /// namespaces as the infra container.
    /// </summary>
    [Fact]
    public async Task A_pods_container_runs_in_the_infra_containers_vm_and_shares_its_ipc_and_uts_namespaces()
    {
        TestEnvironment.RequireVmPrerequisites();
        TestEnvironment.RequireCommand("podman", "podman");
        CliRun.RequireBinary();
        using var dir = new ScratchDirectory("srt-podman");
        string[] podman = ["--root", dir.Combine("root"), "--runroot", dir.Combine("run"), "--cgroup-manager", "cgroupfs", "--events-backend", "file", "--runtime", CliRun.ClientBinary];
        var pod = "srtpod" + Guid.NewGuid().ToString("N")[..6];
        const string Probe = "hostname; busybox cat /proc/sys/kernel/random/boot_id; busybox ls -l /proc/self/ns/ipc /proc/self/ns/uts /proc/self/ns/pid | busybox sed 's/.*-> //'";
        try
        {
            (await Command.RunAsync("podman", [.. podman, "load", "-i", await LocalImage.ArchiveAsync()])).Ok();
            // the infra container from our image (podman's own pause image needs catatonit)
            (await Command.RunAsync("podman", [.. podman, "pod", "create", "--name", pod, "--network", "none", "--infra-image", LocalImage.Reference, "--infra-command", "sleep 100000"])).Ok();
            (await Command.RunAsync("podman", [.. podman, "pod", "start", pod])).Ok();
            var infra = (await Command.RunAsync("podman", [.. podman, "pod", "inspect", "-f", "{{.InfraContainerID}}", pod])).Ok().Stdout.Trim();
            var inInfra = (await Command.RunAsync("podman", [.. podman, "exec", infra, "sh", "-c", Probe])).Ok().Stdout.Split('\n');
            var run = await Command.RunAsync("podman", [.. podman, "run", "--rm", "--pod", pod, .. Limits, LocalImage.Reference, "sh", "-c", Probe]);
            TestContext.Current.TestOutputHelper?.WriteLine($"infra:\n{string.Join('\n', inInfra)}\npod container:\n{run.Stdout}{run.Stderr}");
            Assert.Equal(0, run.ExitCode);
            var inPod = run.Stdout.Split('\n');
            Assert.Equal(pod, inPod[0]);
            Assert.Equal(inInfra[1], inPod[1]); // boot_id: the infra container's VM
            Assert.Equal(inInfra[2], inPod[2]); // ipc (ls sorts: ipc, pid, uts)
            Assert.NotEqual(inInfra[3], inPod[3]); // pid: podman shares none by default
            Assert.Equal(inInfra[4], inPod[4]); // uts
        }
        finally
        {
            await Command.RunAsync("podman", [.. podman, "pod", "rm", "-f", pod]);
            await Command.RunAsync("podman", [.. podman, "rm", "-af"]);
            foreach (var mount in File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4]).Where(m => m.StartsWith(dir.Path)).OrderByDescending(m => m.Length))
                SandboxRt.Interop.FileSystem.TryUnmount(mount, detach: true);
        }
    }
}
