using SandboxRt.Interop;

namespace SandboxRt.Runtime.Processes;

/// <summary>
/// A process this process spawned (posix_spawn through <see cref="ProcessSpawner"/>), with its exit
/// observed by a thread blocked in waitpid on exactly that pid.
/// </summary>
public sealed class ChildProcess
{
    private ChildProcess(int pid, string name)
    {
        Pid = pid;
        Name = name;
        Exited = Task.Factory.StartNew(() =>
        {
            ChildProcesses.TryWait(pid, block: true, out _, out var status);
            return status;
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public int Pid { get; }
    public string Name { get; }

    /// <summary>Completes when the process has exited and been reaped.</summary>
    public Task<WaitStatus> Exited { get; }

    public bool HasExited => Exited.IsCompleted;

    public static ChildProcess Start(SpawnOptions options, string name) => new(ProcessSpawner.Spawn(options), name);

    /// <summary>Sends a signal unless the process is already gone.</summary>
    public void Signal(int signal)
    {
        if (!HasExited)
            ChildProcesses.Signal(Pid, signal);
    }

    /// <summary>Waits for the exit up to <paramref name="timeout"/>; true when it exited.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var finished = await Task.WhenAny(Exited, Task.Delay(timeout, cancellationToken));
        return finished == Exited;
    }
}
