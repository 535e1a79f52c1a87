namespace SandboxRt.IntegrationTests.Faults;

/// <summary>What a fault-matrix cell kills with SIGKILL (or, for the guest, crashes: sysrq "c" from a privileged container).</summary>
public enum FaultComponent
{
    Qemu,
    Virtiofsd,
    /// <summary>The CLI's per-container relay (the pid in --pid-file).</summary>
    Relay,
    /// <summary>The client process itself: the `sandboxrt create|exec|delete` call in progress.</summary>
    Client,
    /// <summary>The containerd shim daemon.</summary>
    ShimDaemon,
    /// <summary>The guest kernel panics (the agent, PID 1, is gone with it).</summary>
    Guest,
}
