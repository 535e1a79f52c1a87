// The sandbox's shared directory: how container root file systems and bind-mount sources reach the
// guest. Laid out as Kata lays it out, a private mounts/ and an exported shared/, in a mount namespace
// of the sandbox's own:
//
//   <state>/mount-namespace/mnt  the sandbox's mount namespace, bound here so that every process of the
//                    sandbox's (the CLI's later calls, the shim) can enter it, on an unbindable guard
//                    (a bind of a mount namespace must not propagate). Made by Create as a slave copy
//                    of the host's; the file server starts in it.
//   <state>/mounts   in that namespace, a small tmpfs of the sandbox's own (mode 0700, nosuid, nodev,
//                    noexec), with shared propagation in a peer group of its own. The host builds the
//                    skeleton here and mounts into it:
//                      <container>/rootfs      the container's root file system
//                      <container>/mounts/<n>  the source of the spec's mounts[n] (a directory or a file)
//                    where <container> is "<id>@<16 random hex digits>", a name never used twice (ids
//                    longer than 238 characters are "#<40 hex digits of their SHA-256>" before the "@").
//   <state>/shared   in that namespace, a clone of mounts/ that is read-only, nosuid, nodev and a slave
//                    of it: every mount made under mounts/ appears here by propagation (and in the mount
//                    namespace virtiofsd makes as a slave of this one), nothing goes the other way. This is
//                    the only directory the file server (virtiofsd, or QEMU's 9p) exports; its top is
//                    read-only, so the guest can write inside a writable rootfs or volume and nowhere else.
//
// In the host's namespace mounts/ and shared/ are empty directories.
//
// Why a namespace of its own: a container's rbind volume is a copy of every mount under its source, as
// under runc, but runc's copies live in the container's mount namespace and these were in the host's.
// A copy of another container's mount there is a mount point on that container's directory in the
// host's namespace, so the host's rmdir of it fails with EBUSY: while a SandboxRt container had
// -v /var/lib/docker:/x (cadvisor), `docker rm` of every other container, runc's too, failed
// ("unlinkat .../merged: device or resource busy"), and a volume over a state directory made the
// sandboxes under it undeletable. rmdir refuses only a mount point of the caller's own namespace; a
// directory that is one only in another namespace is removed and the kernel detaches those copies
// (Linux 3.18+). The sources are still cloned in the host's namespace (open_tree sees the host's mounts
// as they are now, the container's rootfs that containerd mounted after this namespace was made
// included) and the clones are attached in this one (move_mount of a detached tree works across
// namespaces, as LXD's mount injection does); attaching, unmounting and lookups under mounts/ happen on
// a thread that entered the namespace (MountNamespace.Run). The namespace's copies of the host's other
// mounts are slaves: where the host's mounts are shared (systemd), the host's unmounts reach them.
//
// Why: the host creates, mounts on, unmounts and removes the skeleton while the guest runs (a pod's later
// containers are added to a live VM). When the skeleton was guest-writable, a guest could plant
// `<next container>/rootfs -> /etc` and have the host mount a writable tree over /etc (Kata's
// CVE-2020-2026), or swap symlinks in during teardown to make the host unmount or delete host paths.
// Now the guest cannot write the skeleton at all, and the host still works in it only through
// descriptors it pinned itself (PinnedDirectory: mkdirat/mknodat, openat2 with no symlinks, move_mount
// onto the descriptor, umount2 with UMOUNT_NOFOLLOW|MNT_DETACH, unlinkat) and never recursively by path.
//
// Why a new name for each container, not its id: the guest's kernel keeps what it looked up in the share
// (1 s with virtio_fs_cache=auto, a day with always). A container created again with the same id (Docker's
// `docker start` of a container:X container, a test's loop) found the names of the last one still cached
// there: it ran on the old, detached root file system, or had its mounts detached under its init when the
// cached name expired mid-create (EROFS on /dev/fd). A name the guest never looked up cannot be stale.
//
// Read-only: each rootfs or volume is a detached clone of its source (open_tree) that gets its
// attributes with mount_setattr before move_mount attaches it: NOSUID|NODEV always, RDONLY when asked,
// on every mount of an rbind. The copies that propagation then makes (in shared/, in virtiofsd's
// namespace) carry them from the start; a remount after the bind (what this did before) reaches neither
// the copies nor an rbind's sub-mounts.
//
// Teardown detaches shared/ and mounts/ in the namespace (MNT_DETACH takes every mount below with them;
// the skeleton goes with the tmpfs), removes the two empty directories, then unbinds the namespace: it
// ends with the last process in it. The tmpfs also keeps the skeleton off the host's /run and bounds it.
//
// No waiting for virtiofsd: its mount namespace may still hold copies of these mounts for a moment after
// QEMU quit (its sandbox process outlives the parent we wait for); a directory that is a mount point
// only in another namespace is removed all the same. The old layout slept in a loop on EBUSY because it
// deleted recursively through a tree that was still being detached.
using System.Security.Cryptography;
using SandboxRt.Interop;

namespace SandboxRt.Runtime.Storage;

public sealed class SharedDirectory : IDisposable
{
    /// <summary>The host-only tree the host mounts into.</summary>
    public const string MountsName = "mounts";

    /// <summary>The read-only view of it that the file server exports.</summary>
    public const string ViewName = "shared";

    /// <summary>The directory holding the sandbox's bound mount namespace (<see cref="NamespaceFile"/>), on its guard.</summary>
    public const string NamespaceName = "mount-namespace";

    /// <summary>The file in <see cref="NamespaceName"/> where the sandbox's mount namespace is bound.</summary>
    public const string NamespaceFile = "mnt";

    /// <summary>Where the mount namespace of the sandbox at <paramref name="stateDirectory"/> is bound (nsenter --mount=).</summary>
    public static string NamespacePath(string stateDirectory) => System.IO.Path.Combine(stateDirectory, NamespaceName, NamespaceFile);

    /// <summary>Between a container's id and the nonce in its directory's name: a character no id has.</summary>
    private const char InstanceSeparator = '@';
    private const int NonceBytes = 8;
    /// <summary>The longest id that names its directories itself: "&lt;id&gt;@&lt;16 hex&gt;" fits NAME_MAX (255).</summary>
    private const int MaxKeyLength = 255 - 1 - 2 * NonceBytes;

    private const uint DirectoryMode = 0x1C0; // 0700
    private const uint FileMode = 0x180;      // 0600

    // Enough for hundreds of containers with dozens of mounts each; the skeleton holds no data.
    private static readonly KeyValuePair<string, string>[] TmpfsOptions =
        [new("mode", "0700"), new("size", "1m"), new("nr_inodes", "16384")];

    private readonly string _stateDirectory;
    private readonly PinnedDirectory _mounts;
    private int _removed;

    private SharedDirectory(string stateDirectory, MountNamespace ns, PinnedDirectory mounts)
    {
        _stateDirectory = stateDirectory;
        Namespace = ns;
        _mounts = mounts;
        Path = System.IO.Path.Combine(stateDirectory, ViewName);
    }

    /// <summary>The exported view (&lt;state&gt;/shared): what virtiofsd or QEMU's 9p server serves to the guest, in <see cref="Namespace"/>.</summary>
    public string Path { get; }

    /// <summary>The sandbox's mount namespace, where <see cref="Path"/> has its mounts: the file server starts there.</summary>
    public MountNamespace Namespace { get; }

    /// <summary>Makes the sandbox's mount namespace and in it mounts/ and its read-only view shared/, in a sandbox's (new) state directory.</summary>
    public static SharedDirectory Create(string stateDirectory)
    {
        using var state = PinnedDirectory.Open(stateDirectory);
        MountNamespace? ns = null;
        PinnedDirectory? root = null;
        bool createdHolder = false, createdMounts = false, createdView = false;
        try
        {
            using (var holder = state.CreateNewDirectory(NamespaceName, DirectoryMode))
            {
                createdHolder = true;
                UnbindableGuard.Place(holder, NamespaceFile);
            }
            ns = MountNamespace.CreateSlaveCopy($"the mount namespace of the sandbox at {stateDirectory}");
            ns.BindTo(NamespacePath(stateDirectory));
            root = ns.Run(() =>
            {
                using var inside = PinnedDirectory.Open(stateDirectory);
                PinnedDirectory mountsRoot;
                using (var mountsTarget = inside.CreateNewDirectory(MountsName, DirectoryMode))
                using (var tmpfs = DetachedMount.Create("tmpfs", TmpfsOptions, MountAttributes.NoSuid | MountAttributes.NoDev | MountAttributes.NoExec))
                {
                    createdMounts = true;
                    // a peer group of its own, so that what is mounted below propagates to the view (and only there)
                    tmpfs.SetAttributes(MountAttributes.None, propagation: MountPropagation.Shared, recursive: false);
                    tmpfs.AttachTo(mountsTarget);
                    mountsRoot = tmpfs.OpenRoot(mountsTarget.Path);
                }
                try
                {
                    using var viewTarget = inside.CreateNewDirectory(ViewName, DirectoryMode);
                    using var view = DetachedMount.Clone(mountsRoot, recursive: true);
                    createdView = true;
                    // read-only at the top only: the rootfs and volumes propagated below keep their own attributes
                    view.SetAttributes(MountAttributes.ReadOnly | MountAttributes.NoSuid | MountAttributes.NoDev, propagation: MountPropagation.Slave, recursive: false);
                    view.AttachTo(viewTarget);
                }
                catch
                {
                    mountsRoot.Dispose();
                    throw;
                }
                return mountsRoot;
            });
            return new SharedDirectory(stateDirectory, ns, root);
        }
        catch
        {
            root?.Dispose();
            // only what this call made: an existing directory of that name is not ours to remove
            if (ns is not null)
                ns.Run(() =>
                {
                    using var inside = PinnedDirectory.Open(stateDirectory);
                    foreach (var (name, created) in new[] { (ViewName, createdView), (MountsName, createdMounts) })
                    {
                        if (!created)
                            continue;
                        inside.Unmount(name);
                        inside.Remove(name, directory: true);
                    }
                });
            ns?.Dispose();
            if (createdHolder)
            {
                state.Unmount(NamespaceName);
                state.Remove(NamespaceName, directory: true);
            }
            throw;
        }
    }

    /// <summary>
    /// The shared directory of a running sandbox that another process made (a container joining that
    /// sandbox's network adds its files here): its mount namespace, and mounts/ pinned there beneath
    /// the state directory, no symlink followed. Fails when the sandbox has none.
    /// </summary>
    public static SharedDirectory Open(string stateDirectory)
    {
        if (!MountNamespace.TryOpen(NamespacePath(stateDirectory), out var ns))
            throw new DirectoryNotFoundException($"{System.IO.Path.Combine(stateDirectory, MountsName)}: the sandbox has no shared directory");
        try
        {
            var mounts = ns.Run(() =>
            {
                using var state = PinnedDirectory.Open(stateDirectory);
                if (!state.TryOpenDirectory(MountsName, out var directory))
                    throw new DirectoryNotFoundException($"{System.IO.Path.Combine(stateDirectory, MountsName)}: the sandbox has no shared directory");
                return directory;
            });
            return new SharedDirectory(stateDirectory, ns, mounts);
        }
        catch
        {
            ns.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Makes the directory of a container being created: "&lt;id&gt;@&lt;nonce&gt;", a name this share never had
    /// before (see the top of the file). Returns the name, which <see cref="AddRootfs"/>, <see cref="AddMountSource"/>
    /// and <see cref="RemoveDirectory"/> take.
    /// </summary>
    public string AddContainer(string containerId)
    {
        var name = $"{KeyOf(containerId)}{InstanceSeparator}{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(NonceBytes))}";
        _mounts.CreateNewDirectory(name, DirectoryMode).Dispose();
        return name;
    }

    /// <summary>Mounts a container's root file system in its directory <paramref name="name"/>; returns its path relative to the shared directory.</summary>
    public string AddRootfs(string name, string hostRootfs, bool readOnly)
    {
        using var container = _mounts.CreateDirectory(name, DirectoryMode);
        var tree = CloneSource(hostRootfs, recursive: true, "root.path");
        Namespace.Run(() => Attach(container, "rootfs", tree, readOnly, requireDirectory: true, "root.path"));
        return $"{name}/rootfs";
    }

    /// <summary>Mounts the source of mounts[index] (a directory or a file) in the container's directory <paramref name="name"/>; returns its path relative to the shared directory.</summary>
    public string AddMountSource(string name, int index, string hostSource, bool readOnly, bool recursive)
    {
        var field = $"mounts[{index}].source";
        using var container = _mounts.CreateDirectory(name, DirectoryMode);
        using var mounts = container.CreateDirectory("mounts", DirectoryMode);
        var tree = CloneSource(hostSource, recursive, field);
        Namespace.Run(() => Attach(mounts, index.ToString(System.Globalization.CultureInfo.InvariantCulture), tree, readOnly, requireDirectory: false, field));
        return $"{name}/mounts/{index}";
    }

    /// <summary>
    /// Unmounts and removes every directory of container <paramref name="containerId"/> (what `delete` does from
    /// another process, which knows the id only; a directory named the id itself is one a sandbox started
    /// before names had nonces). Nothing to do once the whole directory is removed.
    /// </summary>
    public void RemoveContainer(string containerId)
    {
        if (Volatile.Read(ref _removed) != 0)
            return;
        var key = KeyOf(containerId) + InstanceSeparator;
        foreach (var entry in _mounts.Entries())
            if (entry.Name == containerId || (entry.Name.Length == key.Length + 2 * NonceBytes && entry.Name.StartsWith(key, StringComparison.Ordinal)))
                RemoveDirectory(entry.Name);
    }

    /// <summary>Unmounts and removes one container directory <paramref name="name"/> (by descriptor; nothing is followed). Nothing to do once it or the whole directory is removed.</summary>
    public void RemoveDirectory(string name)
    {
        if (Volatile.Read(ref _removed) != 0 || !_mounts.TryOpenDirectory(name, out var container))
            return;
        using (container)
            Namespace.Run(() => RemoveDirectory(container));
        _mounts.Remove(name, directory: true);
    }

    /// <summary>Unmounts and removes what a container directory holds (in the namespace: umount2 finds the mounts there only).</summary>
    private static void RemoveDirectory(PinnedDirectory container)
    {
        container.Unmount("rootfs");
        if (container.TryOpenDirectory("mounts", out var mounts))
        {
            using (mounts)
            {
                foreach (var entry in mounts.Entries())
                {
                    mounts.Unmount(entry.Name);
                    mounts.Remove(entry.Name, entry.IsDirectory);
                }
            }
            container.Remove("mounts", directory: true);
        }
        container.Remove("rootfs", directory: true);
    }

    /// <summary>Detaches and removes the whole shared directory. Safe to call more than once.</summary>
    public void Remove()
    {
        if (Interlocked.Exchange(ref _removed, 1) != 0)
            return;
        _mounts.Dispose();
        Namespace.Dispose();
        RemoveFrom(_stateDirectory);
    }

    /// <summary>
    /// Detaches and removes the shared directory of a state directory, from any process (a later CLI
    /// call, the shim's `delete`): in the sandbox's namespace the view and the mounts tree are detached
    /// with every mount below them, then the two directories are removed without following anything,
    /// and the namespace is unbound. Nothing there is fine.
    /// </summary>
    public static void RemoveFrom(string stateDirectory)
    {
        if (!PinnedDirectory.TryOpen(stateDirectory, out var state))
            return;
        using (state)
        {
            if (MountNamespace.TryOpen(NamespacePath(stateDirectory), out var ns))
            {
                using (ns)
                    ns.Run(() =>
                    {
                        if (PinnedDirectory.TryOpen(stateDirectory, out var inside))
                            using (inside)
                                DetachAndRemove(inside);
                    });
            }
            // in the host's namespace: a state directory from before the namespace (or whose creation stopped short of it)
            DetachAndRemove(state);
            state.Unmount(NamespaceName); // the guard, with the namespace's bind on it
            state.Remove(NamespaceName, directory: true);
        }
    }

    private static void DetachAndRemove(PinnedDirectory state)
    {
        foreach (var name in new[] { ViewName, MountsName })
        {
            state.Unmount(name);
            // Empty once detached. A state directory from before this layout still has its skeleton
            // here: RemoveTree walks it by descriptor, crossing no mount and following no link.
            state.RemoveTree(name);
        }
    }

    /// <summary>The id as it starts its directories' names: itself, or for a very long one "#" (no id has it) and a hash.</summary>
    private static string KeyOf(string containerId) =>
        containerId.Length <= MaxKeyLength ? containerId
            : "#" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(containerId)))[..40];

    /// <summary>Closes the pinned descriptors; the mounts and the namespace stay (<see cref="Remove"/> takes them).</summary>
    public void Dispose()
    {
        _mounts.Dispose();
        Namespace.Dispose();
    }

    private static DetachedMount CloneSource(string source, bool recursive, string field)
    {
        try
        {
            return DetachedMount.Clone(source, recursive);
        }
        catch (SyscallException e) when (e.Errno is Errno.ENOENT or Errno.ENOTDIR)
        {
            throw new FileNotFoundException($"{field}: {source} does not exist ({e.Message})", source, e);
        }
    }

    /// <summary>
    /// Why a bind source that is neither a directory nor a regular file is refused rather than mounted: the
    /// guest would see the node, and opening or connecting to it there would fail or reach the guest's own
    /// object, never the host's (a container that cannot get the mount it asked for fails, naming it).
    /// </summary>
    private static string WhyNotShared(FileStatus status) => status switch
    {
        { IsSocket: true } => "a process in the VM cannot connect to a host socket through the shared directory (docker run -v /var/run/docker.sock:... is not supported)",
        { IsFifo: true } => "a pipe on the host cannot be opened from the VM through the shared directory",
        { IsDevice: true } => "the VM cannot open host devices through the shared directory; linux.devices (docker run --device) gives the container the VM's own device of that number",
        _ => "only directories and regular files reach the VM through the shared directory",
    };

    /// <summary>
    /// Gives a cloned tree its attributes, then attaches it at a new entry <paramref name="name"/> of
    /// <paramref name="parent"/>: a directory or an empty file, as the clone's root is.
    /// </summary>
    private static void Attach(PinnedDirectory parent, string name, DetachedMount tree, bool readOnly, bool requireDirectory, string field)
    {
        using (tree)
        {
            var status = tree.Status();
            bool directory = status.IsDirectory;
            if (requireDirectory && !directory)
                throw new IOException($"{field}: {tree.Description} is not a directory");
            if (!directory && !status.IsRegularFile)
                throw new IOException($"{field}: {tree.Description} is {status.Kind}: {WhyNotShared(status)}");
            // NOSUID|NODEV always (nothing the guest leaves there runs with privileges or opens a device on
            // the host), RDONLY when asked; on every mount of the tree; private, so that nothing mounted
            // later at the source on the host reaches the guest.
            tree.SetAttributes(MountAttributes.NoSuid | MountAttributes.NoDev | (readOnly ? MountAttributes.ReadOnly : MountAttributes.None),
                propagation: MountPropagation.Private, recursive: true);
            bool created = false;
            try
            {
                if (directory)
                {
                    using var target = parent.CreateNewDirectory(name, DirectoryMode);
                    created = true;
                    tree.AttachTo(target);
                }
                else
                {
                    using var target = parent.CreateFile(name, FileMode);
                    created = true;
                    tree.AttachTo(target, parent.Path + "/" + name);
                }
            }
            catch
            {
                if (created && !tree.IsAttached)
                    parent.Remove(name, directory);
                throw;
            }
        }
    }
}
