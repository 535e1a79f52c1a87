using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.EndToEnd;

/// <summary>podman 4.3 (through conmon) with `--runtime` pointing at SandboxRt.</summary>
[Trait("Tier", "e2e")]
[Collection("e2e")]
public sealed class PodmanTests
{
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
            // CAP_SYS_RESOURCE is missing on these hosts: podman needs explicit limits (shared/ENVIRONMENT.md).
            var run = await Command.RunAsync("podman", [.. podman, "run", "--rm", "--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
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
}
