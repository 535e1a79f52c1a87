using SandboxRt.Interop;

namespace SandboxRt.Agent.Containers;

/// <summary>CreateSandbox: the guest-wide set-up before the first container (shared directory, hostname, DNS).</summary>
internal static class SandboxSetup
{
    /// <summary>How long a hot-plugged shared-directory device may take to appear.</summary>
    private static readonly TimeSpan DeviceWait = TimeSpan.FromSeconds(10);

    public static void Create(string hostname, IReadOnlyList<string> dns, string driver, string tag)
    {
        if (hostname.Length > 0)
            ProcessControl.SetHostname(hostname);
        if (dns.Count > 0)
            File.WriteAllLines("/etc/resolv.conf", dns.Select(d => "nameserver " + d));
        if (driver.Length == 0)
            return;
        Directory.CreateDirectory(GuestPaths.SharedMount);
        Action mount = driver switch
        {
            "virtiofs" => () => FileSystem.Mount(tag, GuestPaths.SharedMount, "virtiofs", MountFlags.NoDev),
            "9p" => () => FileSystem.Mount(tag, GuestPaths.SharedMount, "9p", MountFlags.NoDev, "trans=virtio,version=9p2000.L,msize=524288,cache=mmap,access=client"),
            _ => throw new ArgumentException($"shared.driver '{driver}' is not virtiofs or 9p"),
        };
        // In a VM restored from a template the device was hot-plugged just before this call and may still
        // be probing: until it is, the kernel knows no such tag. 9p says ENOENT; virtio-fs says EINVAL
        // (Linux 6.1 virtio_fs_get_tree: "tag <x> not found"), as it does for a bad mount, which then fails
        // after the wait with the same error. A cold VM had the device at boot. Devices bind without an
        // event the agent can wait on here, hence the bounded retry.
        var notYet = driver == "virtiofs" ? Errno.EINVAL : Errno.ENOENT;
        var deadline = DateTime.UtcNow + DeviceWait;
        while (true)
        {
            try
            {
                mount();
                break;
            }
            catch (SyscallException e) when (e.Errno == notYet && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }
        }
        AgentLog.Info($"shared directory: {driver} '{tag}' at {GuestPaths.SharedMount}");
    }

    public static void Destroy()
    {
        FileSystem.TryUnmount(GuestPaths.SharedMount, detach: true);
    }
}
