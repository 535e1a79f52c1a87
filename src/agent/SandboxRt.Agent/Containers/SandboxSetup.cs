using SandboxRt.Interop;

namespace SandboxRt.Agent.Containers;

/// <summary>CreateSandbox: the guest-wide set-up before the first container (shared directory, hostname, DNS).</summary>
internal static class SandboxSetup
{
    public static void Create(string hostname, IReadOnlyList<string> dns, string driver, string tag)
    {
        if (hostname.Length > 0)
            ProcessControl.SetHostname(hostname);
        if (dns.Count > 0)
            File.WriteAllLines("/etc/resolv.conf", dns.Select(d => "nameserver " + d));
        if (driver.Length == 0)
            return;
        Directory.CreateDirectory(GuestPaths.SharedMount);
        switch (driver)
        {
            case "virtiofs":
                FileSystem.Mount(tag, GuestPaths.SharedMount, "virtiofs", MountFlags.NoDev);
                break;
            case "9p":
                FileSystem.Mount(tag, GuestPaths.SharedMount, "9p", MountFlags.NoDev, "trans=virtio,version=9p2000.L,msize=524288,cache=mmap,access=client");
                break;
            default:
                throw new ArgumentException($"shared.driver '{driver}' is not virtiofs or 9p");
        }
        AgentLog.Info($"shared directory: {driver} '{tag}' at {GuestPaths.SharedMount}");
    }

    public static void Destroy()
    {
        FileSystem.TryUnmount(GuestPaths.SharedMount, detach: true);
    }
}
