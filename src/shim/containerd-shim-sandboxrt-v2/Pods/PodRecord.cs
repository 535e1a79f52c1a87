using SandboxRt.Runtime.State;

namespace SandboxRt.Shim.Pods;

/// <summary>
/// What must survive the shim: enough for `delete` to clean up after a shim that died (kill -9) while
/// its VM ran: the processes to stop, the sandbox's state directory, and every rootfs it mounted.
/// </summary>
internal sealed class PodRecord
{
    public string PodId { get; set; } = "";
    public ProcessIdentity? Shim { get; set; }
    public ProcessIdentity? Hypervisor { get; set; }
    public ProcessIdentity? Virtiofsd { get; set; }

    /// <summary>The sandbox's state directory (VM files, the shared directory), when a VM was started.</summary>
    public string? SandboxDirectory { get; set; }

    /// <summary>The configuration's shutdown grace, for a `delete` that stops the VM after the shim died.</summary>
    public int ShutdownGraceSeconds { get; set; } = 5;

    /// <summary>Container id → bundle, for the containers whose rootfs the shim mounted.</summary>
    public Dictionary<string, string> MountedBundles { get; set; } = new(StringComparer.Ordinal);
}
