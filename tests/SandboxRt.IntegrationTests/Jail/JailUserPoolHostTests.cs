using SandboxRt.Interop;
using SandboxRt.IntegrationTests.Support;
using SandboxRt.Runtime.Hypervisors.Jail;

namespace SandboxRt.IntegrationTests.Jail;

/// <summary>The jail users' reservations, with a real process running as a reserved uid.</summary>
[Trait("Tier", "host")]
public sealed class JailUserPoolHostTests
{
    [Fact]
    public async Task A_reservation_whose_owner_is_gone_is_not_reclaimed_while_a_process_runs_as_its_uid()
    {
        TestEnvironment.RequireRoot();
        TestEnvironment.RequireFile(TestEnvironment.Jailer, "sandboxrt-jailer (make build)");
        using var dir = new ScratchDirectory("srt-pool");
        var pool = new JailUserPool(dir.Combine("users"), 2_147_100_000, 1);
        var gone = dir.Combine("gone-sandbox");
        Directory.CreateDirectory(gone);
        var user = pool.Reserve(gone);
        Directory.Delete(gone); // its sandbox vanished without a delete...
        // A pipe the jailer does not keep: its end of file here is the jailer's exec of sleep, as the new user.
        var (execWatch, stray) = Pipes.Create();
        int pid;
        using (stray)
        {
            pid = ProcessSpawner.Spawn(new SpawnOptions
            {
                Path = TestEnvironment.Jailer,
                Arguments = [TestEnvironment.Jailer, "--uid", user.Uid.ToString(), "--gid", user.Gid.ToString(), "--", "/bin/sleep", "120"],
                Descriptors = [(stray, 3)],
            });
        }
        try
        {
            // ...but its QEMU still runs.
            using (var watch = FileDescriptors.ToStream(execWatch, FileAccess.Read))
                Assert.Equal(0, await Task.Run(() => watch.Read(new byte[1])).WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.True(JailUserPool.ProcessesRunAs(user.Uid));
            Assert.Contains("every user id", Assert.Throws<Runtime.Hypervisors.HypervisorException>(() => pool.Reserve(dir.Combine("next"))).Message);
        }
        finally
        {
            ChildProcesses.Signal(pid, 9);
            await Task.Run(() => ChildProcesses.TryWait(pid, true, out _, out _));
        }
        Directory.CreateDirectory(dir.Combine("next"));
        Assert.Equal(user, pool.Reserve(dir.Combine("next"))); // now it is stale, and taken over
    }
}
