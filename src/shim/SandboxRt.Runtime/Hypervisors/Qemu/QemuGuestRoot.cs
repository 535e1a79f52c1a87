using SandboxRt.Runtime.Configuration;

namespace SandboxRt.Runtime.Hypervisors.Qemu;

/// <summary>
/// What a QEMU guest boots from: the read-only root image (<see cref="GuestRootImage"/>) where the
/// configuration names one and the machine can take it (q35 and pc: virtio-pmem is a PCI device in the
/// hot-plug memory region), else the initramfs. A sandbox that asks for an initrd of its own boots that.
/// </summary>
internal sealed record QemuGuestRoot(string Initrd, GuestRootImage? Image)
{
    /// <summary>The file whose identity keys a template: the image, or the initrd.</summary>
    public string BootFile => Image?.Path ?? Initrd;

    public static QemuGuestRoot For(HypervisorConfig config, string? initrdOverride)
    {
        var initrd = initrdOverride ?? config.Initrd;
        if (initrdOverride is not null || !UsesImage(config))
            return new QemuGuestRoot(initrd, null);
        return new QemuGuestRoot(initrd, GuestRootImage.Open(config.Image));
    }

    /// <summary>Whether <paramref name="config"/> boots its image (else its initrd): an image is named and the machine is q35 or pc.</summary>
    public static bool UsesImage(HypervisorConfig config) =>
        config.Image.Length > 0 && config.Qemu.MachineType is ("q35" or "pc");
}
