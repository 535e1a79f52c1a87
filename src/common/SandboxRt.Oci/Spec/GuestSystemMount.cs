namespace SandboxRt.Oci.Spec;

/// <summary>
/// The host's /proc and /sys in a VM. A bind mount of them or of anything below them (`-v /proc:/host/proc`,
/// `-v /sys:/host/sys:ro`, `-v /sys/fs/cgroup:...`: node-exporter, cadvisor) would reach the guest through
/// the shared directory, served by virtiofsd as root: the host's processes, and where it is writable the
/// host's kernel settings, handed to the workload the VM is there to keep from the host; and most of their
/// files would read empty anyway (procfs gives them size 0, and virtio-fs reads no further). So, as Kata
/// does (its isSystemMount), such a mount gets the guest's own path instead: the host keeps the source's
/// path, marks the mount with <see cref="Option"/> and shares nothing; the agent checks that the path is
/// one of these and bind-mounts the VM's own file system there. A tool that reads /host/proc then sees the
/// VM's processes and counters, which are what the container runs on.
/// </summary>
public static class GuestSystemMount
{
    /// <summary>The mount option that marks a bind whose source is the guest's own path.</summary>
    public const string Option = "x-sandboxrt.guest-source";

    private static readonly string[] Roots = ["/proc", "/sys"];

    /// <summary>
    /// <paramref name="source"/> without "." and ".." (lexically: nothing is looked up) when it is /proc,
    /// /sys or a path below them; null for anything else (relative sources are the bundle's).
    /// </summary>
    public static string? SystemPath(string source)
    {
        if (!source.StartsWith('/') || source.Contains('\0'))
            return null;
        var clean = Path.GetFullPath(source);
        if (clean.Length > 1)
            clean = clean.TrimEnd('/');
        return Roots.Any(r => clean == r || clean.StartsWith(r + "/", StringComparison.Ordinal)) ? clean : null;
    }
}
