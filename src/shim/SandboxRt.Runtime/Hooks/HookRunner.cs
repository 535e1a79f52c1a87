using System.Text.Json;
using SandboxRt.Interop;
using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Processes;

namespace SandboxRt.Runtime.Hooks;

/// <summary>
/// Runs OCI hooks on the host: each with its args and env, the container's state JSON on stdin, and its
/// timeout. A failed prestart/createRuntime/poststart hook fails the operation; the error names the hook
/// by its list and index and quotes what it wrote to stderr. (createContainer and startContainer hooks run
/// in the container, inside the guest: the agent's init runs them.)
/// </summary>
public static class HookRunner
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    public static async Task RunAsync(string list, IReadOnlyList<Hook>? hooks, Oci.Spec.State state, CancellationToken cancellationToken = default)
    {
        for (int i = 0; i < (hooks?.Count ?? 0); i++)
            await RunOneAsync($"hooks.{list}[{i}]", hooks![i], state, cancellationToken);
    }

    private static async Task RunOneAsync(string name, Hook hook, Oci.Spec.State state, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(state, OciJsonContext.Default.State);
        var (stdinRead, stdinWrite) = Pipes.Create();
        var (errRead, errWrite) = Pipes.Create();
        ChildProcess process;
        using (stdinRead)
        using (errWrite)
        using (var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Write))
        {
            try
            {
                process = ChildProcess.Start(new SpawnOptions
                {
                    Path = hook.Path,
                    Arguments = hook.Args is { Count: > 0 } args ? args : [hook.Path],
                    Environment = hook.Env ?? [],
                    Descriptors = [(stdinRead, 0), (devNull, 1), (errWrite, 2)],
                }, name);
            }
            catch (SyscallException e)
            {
                stdinWrite.Dispose();
                errRead.Dispose();
                throw new HookFailedException($"{name} ({hook.Path}): cannot start: {e.Message}");
            }
        }
        var stderr = Task.Run(() => FileDescriptors.ReadAllText(errRead, 64 * 1024, "hook stderr"));
        try
        {
            FileDescriptors.Write(stdinWrite, json, name + " stdin");
        }
        catch (SyscallException)
        {
            // the hook did not read its stdin: that is its business
        }
        stdinWrite.Dispose();
        var timeout = hook.Timeout is > 0 ? TimeSpan.FromSeconds(hook.Timeout.Value) : DefaultTimeout;
        if (!await process.WaitAsync(timeout, cancellationToken))
        {
            process.Signal(Signals.SIGKILL);
            await process.Exited;
            throw new HookFailedException($"{name} ({hook.Path}) did not finish within {timeout.TotalSeconds:F0} s and was killed");
        }
        var status = await process.Exited;
        var errors = (await stderr).Trim();
        if (!status.Exited || status.ExitCode != 0)
            throw new HookFailedException($"{name} ({hook.Path}) failed: {status}{(errors.Length > 0 ? ": " + errors : "")}");
    }
}
