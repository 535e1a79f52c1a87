namespace SandboxRt.Runtime.Hypervisors.CloudHypervisor;

/// <summary>
/// What vm.create describes for one VM. <see cref="MaxVcpus"/> and <see cref="HotplugMib"/> are the room
/// vm.resize grows into; <see cref="OemStrings"/> carry the agent token into the guest's SMBIOS table.
/// </summary>
internal sealed record ClhLaunchPlan(
    string Kernel,
    string Initrd,
    string Cmdline,
    int Vcpus,
    int MemoryMib,
    bool SharedMemory,
    string ConsoleLog,
    long GuestCid,
    string VsockSocket)
{
    public int MaxVcpus { get; init; }

    /// <summary>Memory that can be hot-plugged beyond <see cref="MemoryMib"/>: whole 128 MiB blocks, as Cloud Hypervisor plugs them.</summary>
    public int HotplugMib { get; init; }

    public IReadOnlyList<string> OemStrings { get; init; } = [];

    /// <summary>The read-only root image on virtio-pmem, booted instead of <see cref="Initrd"/> (which is then empty).</summary>
    public GuestRootImage? RootImage { get; init; }
}
