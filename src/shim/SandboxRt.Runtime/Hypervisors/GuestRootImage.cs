namespace SandboxRt.Runtime.Hypervisors;

/// <summary>
/// The guest's root file system as a read-only image (the configuration's "image", Kata's key of that
/// name): an ext4 file on a virtio-pmem device that the hypervisor maps from the host file, and that the
/// guest kernel mounts read-only with DAX ("root=/dev/pmem0 ... rootflags=dax=always"). The guest then
/// runs the agent straight from that mapping: the pages are the host's page cache of one file, shared by
/// every VM of the host, where an initramfs is unpacked into each VM's own RAM (and, for a template,
/// copied into each clone). QEMU opens the file O_RDONLY and maps it PROT_READ (memory-backend-file
/// readonly=on); Cloud Hypervisor opens it read-only and maps it privately (pmem discard_writes): either
/// way a guest, or a VMM it took over, cannot change what other VMs run.
/// </summary>
internal sealed record GuestRootImage(string Path, long Bytes)
{
    /// <summary>The memory backend's id and the virtio-pmem device's.</summary>
    public const string BackendId = "sandboxrt-root", DeviceId = "sandboxrt-root-pmem";

    /// <summary>The block device the guest kernel mounts as root: the only virtio-pmem device.</summary>
    public const string GuestDevice = "/dev/pmem0";

    /// <summary>
    /// The image's size must be a whole number of these: Linux 6.1 binds a pmem namespace only when its
    /// start and end are 16 MiB aligned (memremap_compat_align; a misaligned one is silently left without
    /// a block device), and QEMU places the device at an aligned address.
    /// </summary>
    public const long Alignment = 16 << 20;

    /// <summary>MiB of the device memory region (maxmem) the image takes.</summary>
    public int Mib => (int)((Bytes + (1 << 20) - 1) >> 20);

    /// <summary>The kernel parameters that mount it as the root.</summary>
    public const string KernelParams = $"root={GuestDevice} rootfstype=ext4 rootflags=dax=always ro init=/init";

    /// <summary>Checks <paramref name="path"/> and reads its size; the errors name the "image" field.</summary>
    public static GuestRootImage Open(string path)
    {
        long length;
        try
        {
            // the file's own size: the installed path is a symbolic link into the guest image cache
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
            length = RandomAccess.GetLength(file);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new HypervisorException($"image: {path} does not exist (make guest-image builds rootfs.img with SandboxRt's own kernel; with Debian's kernel, or to boot the initramfs, set image to \"\")", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HypervisorException($"image: {path}: {e.Message}", e);
        }
        if (length == 0 || length % Alignment != 0)
            throw new HypervisorException($"image: {path} is {length} bytes, not a whole number of 16 MiB, which the guest kernel needs to use it (make guest-image's rootfs.img is)");
        return new GuestRootImage(System.IO.Path.GetFullPath(path), length);
    }
}
