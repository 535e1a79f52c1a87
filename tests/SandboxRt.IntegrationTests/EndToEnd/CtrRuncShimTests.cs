using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.EndToEnd;

/// <summary>containerd 1.6's runc shim with SandboxRt as its runc binary (ctr run --runc-binary).</summary>
[Trait("Tier", "e2e")]
[Collection("e2e")]
public sealed class CtrRuncShimTests(ContainerdDaemon containerd) : IClassFixture<ContainerdDaemon>
{
    private static string Id() => "ctr-" + Guid.NewGuid().ToString("N")[..8];

    private void Require()
    {
        TestEnvironment.RequireVmPrerequisites();
        containerd.RequireRunning();
        CliRun.RequireBinary();
    }

    [Fact]
    public async Task Ctr_run_returns_output_and_exit_code()
    {
        Require();
        var id = Id();
        var run = await containerd.Ctr("run", "--rm", "--runc-binary", CliRun.ClientBinary, LocalImage.Reference, id, "sh", "-c", "echo hi from ctr; uname -r; exit 3");
        Assert.Equal(3, run.ExitCode);
        var lines = run.Stdout.Split('\n');
        Assert.Equal("hi from ctr", lines[0]);
        Assert.NotEqual(TestEnvironment.HostKernelRelease, lines[1]);
        await HostLeaks.AssertGoneAsync(id, "/run/containerd/runc/default");
    }

    [Fact]
    public async Task Exec_ps_pause_resume_and_kill_on_a_running_task()
    {
        Require();
        var id = Id();
        (await containerd.Ctr("run", "-d", "--runc-binary", CliRun.ClientBinary, LocalImage.Reference, id, "sh", "-c", "trap 'exit 7' TERM; while true; do sleep 0.2; done")).Ok();
        var exec = await containerd.Ctr("task", "exec", "--exec-id", "e1", id, "sh", "-c", "echo in-exec; exit 5");
        Assert.Equal(5, exec.ExitCode);
        Assert.Equal("in-exec\n", exec.Stdout);
        var ps = (await containerd.Ctr("task", "ps", id)).Ok();
        Assert.Contains("PID", ps.Stdout);
        (await containerd.Ctr("task", "pause", id)).Ok();
        Assert.Contains("PAUSED", (await containerd.Ctr("task", "ls")).Stdout);
        (await containerd.Ctr("task", "resume", id)).Ok();
        Assert.Contains("RUNNING", (await containerd.Ctr("task", "ls")).Stdout);
        (await containerd.Ctr("task", "kill", id)).Ok();
        string ls = "";
        for (int i = 0; i < 50 && !ls.Contains("STOPPED"); i++)
        {
            await Task.Delay(200);
            ls = (await containerd.Ctr("task", "ls")).Stdout;
        }
        Assert.Contains("STOPPED", ls);
        (await containerd.Ctr("task", "delete", id)).Ok();
        (await containerd.Ctr("container", "delete", id)).Ok();
        await HostLeaks.AssertGoneAsync(id, "/run/containerd/runc/default");
    }

    /// <summary>
    /// containerd's runc shim kills an exec with kill(2) on the pid `exec --detach` wrote, the exec's relay:
    /// the signal must reach the process in the guest, whose own exit is then the exec's.
    /// </summary>
    [Fact]
    public async Task A_kill_of_an_exec_reaches_its_process_in_the_guest()
    {
        Require();
        var id = Id();
        (await containerd.Ctr("run", "-d", "--runc-binary", CliRun.ClientBinary, LocalImage.Reference, id, "sh", "-c", "while true; do sleep 0.2; done")).Ok();
        try
        {
            var exec = containerd.Ctr("task", "exec", "--exec-id", "e1", id, "sh", "-c", "trap 'echo got TERM; exit 9' TERM; touch /tmp/trapped; while true; do sleep 0.2; done");
            int probe = 0;
            await Condition.WaitAsync(async () => (await containerd.Ctr("task", "exec", "--exec-id", $"probe{probe++}", id, "sh", "-c", "test -e /tmp/trapped")).ExitCode == 0,
                "the exec's shell to set its TERM trap");
            (await containerd.Ctr("task", "kill", "--exec-id", "e1", id)).Ok(); // SIGTERM

            var done = await exec.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
            Assert.Equal(9, done.ExitCode);
            Assert.Contains("got TERM", done.Stdout);
        }
        finally
        {
            await containerd.Ctr("task", "delete", "--force", id);
            await containerd.Ctr("container", "delete", id);
        }
        await HostLeaks.AssertGoneAsync(id, "/run/containerd/runc/default");
    }
}
