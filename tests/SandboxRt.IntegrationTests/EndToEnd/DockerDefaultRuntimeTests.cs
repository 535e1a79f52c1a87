using System.Text.RegularExpressions;
using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.EndToEnd;

/// <summary>
/// SandboxRt as Docker's default runtime (`"default-runtime": "kata-runtime"` in daemon.json, Docker's
/// default bridge in a namespace the fixture made): plain `docker run` commands, with no --runtime and
/// no --network, run in a VM and behave as with runc: the bridge's eth0, published ports, limits, logs,
/// exit codes, and `docker inspect` names the runtime.
/// </summary>
[Trait("Tier", "e2e")]
[Collection("e2e")]
public sealed class DockerDefaultRuntimeTests(DefaultRuntimeDockerDaemon docker) : IClassFixture<DefaultRuntimeDockerDaemon>
{
    [Fact]
    public async Task A_plain_docker_run_gets_a_vm_the_bridge_its_exit_code_and_its_logs()
    {
        docker.RequireRunning();
        Assert.Equal(DockerDaemon.Runtime, (await docker.Docker("info", "--format", "{{.DefaultRuntime}}")).Ok().Stdout.Trim());
        var name = "plain-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            var run = await docker.Docker("run", "--name", name, LocalImage.Reference,
                "sh", "-c", "uname -r; busybox ip -4 -o addr show eth0; exit 7");
            TestContext.Current.TestOutputHelper?.WriteLine(run.Stdout + run.Stderr);
            Assert.Equal(7, run.ExitCode);
            var lines = run.Stdout.Split('\n');
            Assert.StartsWith("6.1.", lines[0]);
            Assert.NotEqual(TestEnvironment.HostKernelRelease, lines[0]);
            Assert.Matches(new Regex(@"eth0\s+inet 172\.17\.\d+\.\d+/16"), lines[1]);

            var inspect = (await docker.Docker("inspect", "--format", "{{.HostConfig.Runtime}} {{.State.ExitCode}}", name)).Ok().Stdout.Trim();
            Assert.Equal($"{DockerDaemon.Runtime} 7", inspect);
            var logs = (await docker.Docker("logs", name)).Ok().Stdout;
            Assert.Equal(run.Stdout, logs);
        }
        finally
        {
            await docker.Docker("rm", "-f", name);
        }
    }

    [Fact]
    public async Task A_plain_detached_run_with_a_published_port_and_a_memory_limit_is_served_from_a_vm_that_size()
    {
        docker.RequireRunning();
        var id = (await docker.Docker("run", "-d", "-p", "8081:80", "--memory", "512m", LocalImage.Reference,
            "sh", "-c", "busybox mkdir -p /www && echo default-runtime-vm > /www/index.html && exec busybox httpd -f -p 80 -h /www")).Ok().Stdout.Trim();
        try
        {
            Assert.Equal(DockerDaemon.Runtime, (await docker.Docker("inspect", "--format", "{{.HostConfig.Runtime}}", id)).Ok().Stdout.Trim());
            var fetch = await docker.FetchAsync("127.0.0.1:8081", TimeSpan.FromSeconds(60));
            Assert.True(fetch.ExitCode == 0, $"wget http://127.0.0.1:8081/ in {docker.NetworkNamespace}: {fetch.Stderr}");
            Assert.Equal("default-runtime-vm\n", fetch.Stdout);
            var sizes = (await docker.Docker("exec", id, "sh", "-c", "cat /sys/fs/cgroup/memory.max; grep MemTotal /proc/meminfo")).Ok().Stdout.Split('\n');
            Assert.Equal("536870912", sizes[0]);
            // the VM is the default plus the limit: more than the limit itself
            long memTotalKiB = long.Parse(sizes[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
            Assert.True(memTotalKiB > 512 * 1024, $"MemTotal {memTotalKiB} KiB is not above the 512 MiB limit");
        }
        finally
        {
            (await docker.Docker("rm", "-f", id)).Ok();
        }
        await HostLeaks.AssertGoneAsync(id, docker.RuntimeRoot, TimeSpan.FromSeconds(60));
    }
}
