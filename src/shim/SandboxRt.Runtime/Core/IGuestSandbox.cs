using SandboxRt.Runtime.Agent;

namespace SandboxRt.Runtime.Core;

/// <summary>
/// The part of a running sandbox the container flow (<see cref="GuestContainer"/>) uses: its agent, its
/// VM's pid and death, the guest console, and the storage that carries container files into the guest.
/// <see cref="Sandboxes.Sandbox"/> is the real one; the unit tests' fake runs the flow without a VM.
/// </summary>
public interface IGuestSandbox
{
    string Id { get; }

    IAgent Agent { get; }

    /// <summary>The hypervisor's host pid: the pid containerd knows every process of the pod by.</summary>
    int VmPid { get; }

    /// <summary>Completes, with how it ended, when the VM is gone.</summary>
    Task<string> VmExited { get; }

    /// <summary>The guest serial console's file, for the last lines after a failure.</summary>
    string ConsoleLogPath { get; }

    IContainerStorage Storage { get; }

    /// <summary>The VM's vCPUs and memory now.</summary>
    Sandboxes.VmSize Size { get; }

    /// <summary>Hot-plugs until the VM is at least <paramref name="target"/>, online in the guest (never shrinks).</summary>
    Task GrowAsync(Sandboxes.VmSize target, CancellationToken cancellationToken = default);

    /// <summary>Stops the VM and removes everything the sandbox made. Safe to call more than once.</summary>
    Task StopAsync(CancellationToken cancellationToken = default);
}
