using SandboxRt.Interop;

namespace SandboxRt.Runtime.Storage;

/// <summary>
/// Keeps a mount SandboxRt makes in a state directory in the host's mount namespace (a clone's
/// guest-ram/, the sandbox's bound mount namespace) out of every recursive bind taken on the host: an
/// empty, read-only tmpfs made unbindable is mounted on the directory first, and the real mount goes on
/// top of it. A recursive clone of any directory above (docker run -v /var/run:/x, -v /:/host, a CRI
/// hostPath of /run) skips an unbindable mount with everything on it, as the kernel does for rbind and
/// open_tree(AT_RECURSIVE).
///
/// Why: a container's volume is cloned from the host's namespace. A copy of another sandbox's guest-ram/
/// tmpfs taken into it showed the VM its neighbour's RAM file, and kept that tmpfs (guest memory) alive
/// for as long as the volume lived. The shared directories need no guard: their mounts are in each
/// sandbox's own mount namespace (SharedDirectory), of which the host's holds only the bound namespace,
/// itself unbindable. Unbindable is a propagation type of its own, which a mount that must be shared or
/// a slave cannot have itself: hence a guard under it.
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
    private static readonly KeyValuePair<string, string>[] OptionsWithFile =
        [new("source", Source), new("mode", "0700"), new("size", "4k"), new("nr_inodes", "2")];

    /// <summary>
    /// Mounts the guard on the empty directory <paramref name="target"/>; what is then attached to
    /// <paramref name="target"/> lands on top of it. With <paramref name="fileName"/> the guard holds an
    /// empty file of that name (0600) to mount on instead: a bind of a mount namespace goes there, because
    /// such a bind cannot propagate (the kernel refuses it, EINVAL, wherever the parent mount is shared, as
    /// /run is under systemd), and on the guard nothing propagates.
    /// </summary>
    public static void Place(PinnedDirectory target, string? fileName = null)
    {
        const MountAttributes locked = MountAttributes.NoSuid | MountAttributes.NoDev | MountAttributes.NoExec;
        using var guard = DetachedMount.Create("tmpfs", fileName is null ? Options : OptionsWithFile, fileName is null ? MountAttributes.ReadOnly | locked : locked);
        if (fileName is not null)
        {
            using (var root = guard.OpenRoot(target.Path))
                root.CreateFile(fileName, 0x180 /* 0600 */).Dispose();
            guard.SetAttributes(MountAttributes.ReadOnly, recursive: false);
        }
        guard.AttachTo(target);
        guard.SetAttributes(MountAttributes.None, propagation: MountPropagation.Unbindable, recursive: false);
    }
}
