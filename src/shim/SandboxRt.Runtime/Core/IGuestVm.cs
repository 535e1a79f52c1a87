namespace SandboxRt.Runtime.Core;

/// <summary>The VM under a sandbox, as its users watch it: its host pid, its end, its console, and stopping it.</summary>
public interface IGuestVm
{
    /// <summary>The hypervisor's host pid: the pid containerd knows every process of the pod by.</summary>
    int VmPid { get; }

    /// <summary>Completes, with how it ended, when the VM is gone.</summary>
    Task<string> VmExited { get; }

    /// <summary>The guest serial console's file, for the last lines after a failure.</summary>
    string ConsoleLogPath { get; }

    /// <summary>Stops the VM and removes everything the sandbox made. Safe to call more than once.</summary>
    Task StopAsync(CancellationToken cancellationToken = default);
}
