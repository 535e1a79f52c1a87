using System.Text;
using SandboxRt.Interop;
using SandboxRt.Oci.Spec;

namespace SandboxRt.Agent.Init;

/// <summary>
/// The hooks that run inside the container (createContainer, startContainer): their paths resolve in the
/// container's root file system, so they run after pivot_root (runc runs createContainer just before it,
/// with host paths, which do not exist in the guest). Each gets the state JSON on stdin, its args and env,
/// and its timeout; a failure fails the create or the start, naming the hook.
/// </summary>
internal static class ContainerHooks
{
    public static void Run(string list, IReadOnlyList<Hook>? hooks, string stateJson)
    {
        for (int i = 0; i < (hooks?.Count ?? 0); i++)
            RunOne($"hooks.{list}[{i}]", hooks![i], stateJson);
    }

    private static void RunOne(string name, Hook hook, string stateJson)
    {
        var (stdinRead, stdinWrite) = Pipes.Create();
        int pid;
        using (stdinRead)
        using (var devNull = FileDescriptors.Open("/dev/null", FileDescriptors.ReadWrite))
        {
            try
            {
                pid = ProcessSpawner.Spawn(new SpawnOptions
                {
                    Path = hook.Path,
                    Arguments = hook.Args is { Count: > 0 } args ? args : [hook.Path],
                    Environment = hook.Env ?? [],
                    Descriptors = [(stdinRead, 0), (devNull, 1), (devNull, 2)],
                });
            }
            catch (SyscallException e)
            {
                stdinWrite.Dispose();
                throw new InitStepException(name, $"{hook.Path}: cannot start: {e.Message}", e);
            }
        }
        try
        {
            FileDescriptors.Write(stdinWrite, Encoding.UTF8.GetBytes(stateJson), name);
        }
        catch (SyscallException)
        {
        }
        stdinWrite.Dispose();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(hook.Timeout is > 0 ? hook.Timeout.Value : 120);
        WaitStatus status;
        while (!ChildProcesses.TryWait(pid, block: false, out _, out status))
        {
            if (DateTime.UtcNow > deadline)
            {
                ChildProcesses.Signal(pid, 9);
                ChildProcesses.TryWait(pid, block: true, out _, out _);
                throw new InitStepException(name, $"{hook.Path} did not finish within its timeout and was killed");
            }
            Thread.Sleep(10);
        }
        if (!status.Exited || status.ExitCode != 0)
            throw new InitStepException(name, $"{hook.Path} failed: {status}");
    }
}
