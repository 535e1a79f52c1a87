using SandboxRt.Runtime.Configuration;

namespace SandboxRt.Runtime.Hypervisors.Qemu;

/// <summary>
/// Everything that decides one QEMU command line, resolved in advance so that building it is pure.
/// QEMU opens no socket or log by path: the console, QMP, the agent's serial socket and virtiofsd's
/// connection are descriptors the host made and QEMU inherited (these are their numbers in QEMU), so
/// that a jailed QEMU needs none of the host's directories.
/// </summary>
internal sealed record QemuLaunchPlan(
    string Id,
    HypervisorConfig Config,
    AcceleratorChoice Accelerator,
    int Vcpus,
    int MemoryMib,
    string Initrd,
    int ConsoleFd,
    int QmpListenFd,
    GuestChannelPlan Channel,
    SharedFsPlan? SharedFs = null,
    int? TscKhz = null)
{
    /// <summary>NICs: the tap's descriptor number in QEMU, and the guest's MAC and MTU.</summary>
    public IReadOnlyList<(int Fd, byte[] Mac, int Mtu)> Nics { get; init; } = [];
    /// <summary>The agent token's file, given to the guest through fw_cfg (see VmLaunchRequest.AgentTokenFile).</summary>
    public string? AgentTokenFile { get; init; }

    /// <summary>Hot-plug room (q35 and pc only): vCPUs and MiB the VM may grow to; not more than Vcpus/MemoryMib means none.</summary>
    public int MaxVcpus { get; init; }
    public int MaxMemoryMib { get; init; }

    /// <summary>The read-only root image the guest boots from instead of <see cref="Initrd"/> (QemuGuestRoot); null: the initrd.</summary>
    public GuestRootImage? RootImage { get; init; }

    /// <summary>The connected vhost-user socket to virtiofsd (virtio-fs only).</summary>
    public int VirtiofsdFd { get; init; } = -1;

    /// <summary>
    /// The template layout (see Templates/QemuTemplate): guest RAM in this file (shared, so that a saved
    /// VM's memory is the file itself), PCIe root ports kept free for hot-plug, a vmgenid device, and no
    /// sandbox-specific device on the command line (their backends stay; the devices are hot-plugged
    /// after a restore). Null: the ordinary cold-boot layout.
    /// </summary>
    public string? TemplateRamFile { get; init; }

    /// <summary>A clone: QEMU waits for its state (-incoming defer), read from this inherited descriptor.</summary>
    public int? IncomingFd { get; init; }
}
