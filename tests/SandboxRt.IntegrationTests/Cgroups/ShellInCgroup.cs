using System.IO.Pipes;
using SandboxRt.Cgroups;
using SandboxRt.Interop;
using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.Cgroups;

/// <summary>
/// Runs a shell script inside a cgroup: the shell starts outside, blocks on `read go`, is moved into the
/// cgroup through cgroup.procs, and only then released, so every command of the script runs inside.
/// </summary>
internal static class ShellInCgroup
{
    public static async Task<(string Stdout, string Stderr, WaitStatus Status)> RunAsync(Cgroup cgroup, string script)
    {
        using var dir = new ScratchDirectory("srt-cg");
        var outPath = dir.Combine("stdout");
        var errPath = dir.Combine("stderr");
        int pid;
        using var release = new AnonymousPipeServerStream(PipeDirection.Out, HandleInheritability.None);
        using (var stdout = File.OpenHandle(outPath, FileMode.Create, FileAccess.Write))
        using (var stderr = File.OpenHandle(errPath, FileMode.Create, FileAccess.Write))
        {
            pid = ProcessSpawner.Spawn(new SpawnOptions
            {
                Path = "/bin/sh",
                Arguments = ["sh", "-c", "read go; " + script],
                Descriptors = [(release.ClientSafePipeHandle, 0), (stdout, 1), (stderr, 2)],
                Environment = ["PATH=/usr/bin:/bin"],
            });
        }
        release.DisposeLocalCopyOfClientHandle();
        try
        {
            cgroup.AddProcess(pid);
            Assert.Contains(pid, cgroup.ListProcesses());
        }
        finally
        {
            release.Write("go\n"u8);
            release.Dispose();
        }
        var wait = Task.Run(() => { ChildProcesses.TryWait(pid, true, out _, out var s); return s; });
        if (await Task.WhenAny(wait, Task.Delay(TimeSpan.FromSeconds(30))) != wait)
        {
            ChildProcesses.Signal(pid, 9);
            await wait;
            Assert.Fail("the shell in the cgroup did not finish within 30 s");
        }
        return (File.ReadAllText(outPath), File.ReadAllText(errPath), await wait);
    }
}
