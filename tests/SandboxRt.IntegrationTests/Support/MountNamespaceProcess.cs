using System.Diagnostics;

namespace SandboxRt.IntegrationTests.Support;

/// <summary>
/// A process in a mount namespace of its own, a slave copy of the test's (as virtiofsd's sandbox is):
/// `unshare -m --propagation slave`, kept alive so that commands can be run in its namespace with
/// nsenter. Which mounts it sees depends on when it was created: before a bind (it receives the bind
/// by propagation) or after (it copied it).
/// </summary>
internal sealed class MountNamespaceProcess : IDisposable
{
    private readonly Process _process;

    private MountNamespaceProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    public static async Task<MountNamespaceProcess> StartAsync()
    {
        TestEnvironment.RequireCommand("unshare", "util-linux");
        var process = Process.Start(new ProcessStartInfo("unshare", ["-m", "--propagation", "slave", "sh", "-c", "echo ready; exec sleep 1000"])
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
