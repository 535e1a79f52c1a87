using SandboxRt.Interop;
using SandboxRt.Runtime.Processes;

namespace SandboxRt.Runtime.Hypervisors.Qemu;

/// <summary>
/// Debian's C virtiofsd serving one sandbox's shared directory on a vhost-user socket. It must be
/// listening before QEMU starts, and exits on its own when QEMU disconnects. It runs in its own mount
/// namespace as a slave of ours, so bind mounts added under the (shared-propagation) directory later
/// reach it. --rlimit-nofile=0: raising the limit needs CAP_SYS_RESOURCE, which some hosts lack.
/// </summary>
internal sealed class VirtiofsDaemon
{
    private readonly ChildProcess _process;

    private VirtiofsDaemon(ChildProcess process) => _process = process;

    public int Pid => _process.Pid;

    public static async Task<VirtiofsDaemon> StartAsync(string binary, string directory, string socketPath, string logPath, CancellationToken cancellationToken)
    {
        File.Delete(socketPath);
        using var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite);
        using var log = Storage.PrivateFiles.OpenHandle(logPath, FileMode.Create, FileAccess.Write, FileShare.ReadWrite);
        var process = ChildProcess.Start(new SpawnOptions
        {
            Path = binary,
            Arguments = [binary, $"--socket-path={socketPath}", "-o", $"source={directory}", "-o", "cache=auto",
                         "-o", "announce_submounts", "-o", "no_posix_lock", "--rlimit-nofile=0"],
            Descriptors = [(devNull, 0), (log, 1), (log, 2)],
            NewSession = true,
        }, "virtiofsd");
        var daemon = new VirtiofsDaemon(process);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!File.Exists(socketPath) && !Path.Exists(socketPath))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                await daemon.StopAsync();
                var tail = string.Join("\n", Diagnostics.LogTail.Read(logPath, 10));
                throw new HypervisorException($"virtiofsd did not start serving {directory} on {socketPath}: {(process.HasExited ? await process.Exited : "timed out")}\n{tail}");
            }
            await Task.Delay(10, cancellationToken);
        }
        return daemon;
    }

    public async Task StopAsync()
    {
        // virtiofsd forks its sandboxed server: signal the whole process group (its own session).
        if (!_process.HasExited)
        {
            ChildProcesses.Signal(-_process.Pid, Signals.SIGTERM);
            if (!await _process.WaitAsync(TimeSpan.FromSeconds(2)))
                ChildProcesses.Signal(-_process.Pid, Signals.SIGKILL);
        }
        await _process.Exited;
        ChildProcesses.Signal(-_process.Pid, Signals.SIGKILL);
    }
}
