using Microsoft.Extensions.Logging;
using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Hooks;

namespace SandboxRt.Shim.Pods;

/// <summary>
/// The host's OCI hooks of one pod container, run by the shim as runc runs them for containerd's runc shim
/// (and as Kata's shim runs them on the host): prestart and createRuntime once the pod's VM runs and before
/// the container is created in it, poststart after its init started, poststop after it was deleted. The
/// state on their stdin names the pid the shim reports for the task (the VM's). createContainer and
/// startContainer hooks run inside the guest (sandboxrt-init), as through the CLI.
/// A prestart hook runs after the VM mirrored the pod's network namespace: interfaces it adds there are
/// not mirrored (as interfaces added to a running pod are not).
/// </summary>
internal sealed class PodHooks(string id, string bundle, Hooks? hooks, Dictionary<string, string>? annotations)
{
    /// <summary>prestart, then createRuntime: a failure fails the create (the error names the hook).</summary>
    public async Task CreateAsync(int pid, CancellationToken cancellationToken)
    {
        if (hooks is null)
            return;
        await HookRunner.RunAsync("prestart", hooks.Prestart, State("creating", pid), cancellationToken);
        await HookRunner.RunAsync("createRuntime", hooks.CreateRuntime, State("creating", pid), cancellationToken);
    }

    /// <summary>poststart: a failure stops the container it started (<paramref name="stop"/>) and fails the start, as runc does.</summary>
    public async Task StartedAsync(int pid, Func<Task> stop, ILogger log, CancellationToken cancellationToken)
    {
        if (hooks is null)
            return;
        try
        {
            await HookRunner.RunAsync("poststart", hooks.Poststart, State("running", pid), cancellationToken);
        }
        catch (HookFailedException e)
        {
            log.LogError("container {Id}: {Error}; killing the container", id, e.Message);
            await stop();
            throw;
        }
    }

    /// <summary>poststop: failures are logged, not fatal (runtime.md).</summary>
    public async Task StoppedAsync(ILogger log)
    {
        if (hooks is null)
            return;
        try
        {
            await HookRunner.RunAsync("poststop", hooks.Poststop, State("stopped", 0));
        }
        catch (HookFailedException e)
        {
            log.LogWarning("container {Id}: {Error}", id, e.Message);
        }
    }

    private State State(string status, int pid) => new() { Id = id, Status = status, Pid = pid, Bundle = bundle, Annotations = annotations };
}
