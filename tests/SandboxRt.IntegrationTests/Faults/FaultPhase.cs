namespace SandboxRt.IntegrationTests.Faults;

/// <summary>When a fault-matrix cell strikes, each marked by an event, never by a delay.</summary>
public enum FaultPhase
{
    /// <summary>
    /// QEMU runs and the guest console shows the kernel started; the agent has not answered. A cold boot
    /// (qemu.vm_template=false): a clone restored from a template boots no kernel.
    /// </summary>
    Boot,
    /// <summary>The VM is up and create is in progress (held in a createRuntime hook).</summary>
    Create,
    /// <summary>The container runs.</summary>
    Running,
    /// <summary>An exec'd process runs (it printed its ready line).</summary>
    Exec,
    /// <summary>delete is in progress (it has killed the relay; the VM is still being stopped).</summary>
    Delete,
}
