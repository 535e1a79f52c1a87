using SandboxRt.Interop;

namespace SandboxRt.Runtime.Storage;

/// <summary>
/// Keeps SandboxRt's own mounts in a state directory (the shared directory's mounts/ and shared/, a
/// clone's guest-ram/) out of every recursive bind taken on the host: an empty, read-only tmpfs made
/// unbindable is mounted on the directory first, and the real mount goes on top of it. A recursive clone
/// of any directory above (docker run -v /var/run:/x, -v /:/host, a CRI hostPath of /run) skips an
/// unbindable mount with everything on it, as the kernel does for rbind and open_tree(AT_RECURSIVE).
///
/// Why: those clones live in the host's mount namespace here (the shared directory is the host's), not
/// in a container's own as under runc. A copy of another sandbox's mounts/ or guest-ram/ tmpfs taken
/// into a container's volume was a mount point on the same directory in the host's namespace, so that
/// sandbox's delete failed for good (rmdir: EBUSY, "Device or resource busy"), and the volume showed the
/// VM its neighbours' root file systems and RAM files. Unbindable is a propagation type of its own, which
/// the shared mounts/ and the slave view cannot have themselves: hence a guard under them.
///
/// Removing: <see cref="PinnedDirectory.Unmount"/> detaches the whole stack on a name (the mount, then
/// the guard). The guard is attached before it is made unbindable (a mount attached under a shared
/// parent becomes shared); from then on nothing mounted on it propagates anywhere.
/// </summary>
internal static class UnbindableGuard
{
    private const string Source = "sandboxrt-unbindable";
    private static readonly KeyValuePair<string, string>[] Options =
        [new("source", Source), new("mode", "0700"), new("size", "4k"), new("nr_inodes", "1")];

    /// <summary>Mounts the guard on the empty directory <paramref name="target"/>; what is then attached to <paramref name="target"/> lands on top of it.</summary>
    public static void Place(PinnedDirectory target)
    {
        using var guard = DetachedMount.Create("tmpfs", Options, MountAttributes.ReadOnly | MountAttributes.NoSuid | MountAttributes.NoDev | MountAttributes.NoExec);
        guard.AttachTo(target);
        guard.SetAttributes(MountAttributes.None, propagation: MountPropagation.Unbindable, recursive: false);
    }
}
