using System.Diagnostics;

namespace SandboxRt.IntegrationTests.Support;

/// <summary>
/// A process in a mount namespace of its own, a slave copy of the test's (as virtiofsd's sandbox is):
/// `unshare -m --propagation slave`, kept alive so that commands can be run in its namespace with
/// nsenter. Which mounts it sees depends on when it was created: before a bind (it receives the bind
/// by propagation) or after (it copied it). A copy of a sandbox's namespace is what virtiofsd and a
/// jailed QEMU run in.
/// </summary>
internal sealed class MountNamespaceProcess : IDisposable
{
    private readonly Process _process;

    private MountNamespaceProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    /// <param name="from">A bound mount namespace (a sandbox's, SharedDirectory.NamespacePath) to copy instead of the test's.</param>
    public static async Task<MountNamespaceProcess> StartAsync(string? from = null)
    {
        TestEnvironment.RequireCommand("unshare", "util-linux");
        string[] unshare = ["unshare", "-m", "--propagation", "slave", "sh", "-c", "echo ready; exec sleep 1000"];
        var process = Process.Start(new ProcessStartInfo(from is null ? unshare[0] : "nsenter", from is null ? unshare[1..] : ["--mount=" + from, .. unshare])
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
        })!;
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("ready", line);
        return new MountNamespaceProcess(process);
    }

    /// <summary>Runs `sh -c script` in the namespace.</summary>
    public Task<Command> RunAsync(string script) =>
        Command.RunAsync("nsenter", ["-t", Pid.ToString(), "-m", "sh", "-c", script]);

    public void Dispose()
    {
        if (!_process.HasExited)
            SandboxRt.Interop.ChildProcesses.Signal(_process.Id, 9);
        _process.WaitForExit();
        _process.Dispose();
    }
}
