using Tmds.Linux;

// A mount tree that is not attached anywhere yet, made with the new mount API: a clone of an existing
// tree (open_tree OPEN_TREE_CLONE) or a fresh file system (fsopen/fsmount). It exists only as this
// descriptor until AttachTo moves it onto a pinned target (move_mount); dropped unattached, the kernel
// unmounts it.
//
// Why not mount(MS_BIND) then a read-only remount: between the two calls the bind already exists
// read-write, and every mount namespace that receives it by propagation (virtiofsd's) keeps that
// read-write copy, because a remount does not propagate; MS_RDONLY on a recursive bind also reaches the
// top mount only. Attributes set here with mount_setattr (AT_RECURSIVE: every mount of the tree) are in
// place before the tree is visible anywhere, so every copy propagation makes carries them.
namespace SandboxRt.Interop;

public sealed class DetachedMount : IDisposable
{
    private readonly SafeFdHandle _fd;
    private bool _attached;

    private DetachedMount(SafeFdHandle fd, string description)
    {
        _fd = fd;
        Description = description;
    }

    /// <summary>What the tree is (the source path, or "tmpfs"), for messages.</summary>
    public string Description { get; }

    /// <summary>
    /// Clones the mount at <paramref name="source"/> (a path the caller trusts: symlinks in it are followed,
    /// as for any bind source), with every mount below it when <paramref name="recursive"/> (rbind).
    /// </summary>
    public static DetachedMount Clone(string source, bool recursive)
    {
        uint flags = Interop.OPEN_TREE_CLONE | Interop.OPEN_TREE_CLOEXEC | (recursive ? Interop.AT_RECURSIVE : 0);
        long fd = Interop.SyscallOpenTree(Interop.SysOpenTree, LibC.AT_FDCWD, source, flags);
        return new DetachedMount(new SafeFdHandle((int)Check.Io(fd, "open_tree", source)), source);
    }

    /// <summary>Clones the tree a pinned directory is on, from that directory down.</summary>
    public static DetachedMount Clone(PinnedDirectory source, bool recursive)
    {
        uint flags = Interop.OPEN_TREE_CLONE | Interop.OPEN_TREE_CLOEXEC | (uint)LibC.AT_EMPTY_PATH | (recursive ? Interop.AT_RECURSIVE : 0);
        long fd;
        using (var d = new FdRef(source.Handle))
            fd = Interop.SyscallOpenTree(Interop.SysOpenTree, d.Fd, "", flags);
        return new DetachedMount(new SafeFdHandle((int)Check.Io(fd, "open_tree", source.Path)), source.Path);
    }

    /// <summary>
    /// A new file system (fsopen, fsconfig string options, fsmount) with <paramref name="attributes"/>,
    /// e.g. a tmpfs with "size" and "mode".
    /// </summary>
    public static DetachedMount Create(string fileSystem, IEnumerable<KeyValuePair<string, string>> options, MountAttributes attributes)
    {
        using var context = new SafeFdHandle((int)Check.Io(Interop.SyscallFsopen(Interop.SysFsopen, fileSystem, Interop.FSOPEN_CLOEXEC), "fsopen", fileSystem));
        using (var c = new FdRef(context))
        {
            foreach (var (key, value) in options)
                Check.Io(Interop.SyscallFsconfig(Interop.SysFsconfig, c.Fd, Interop.FSCONFIG_SET_STRING, key, value, 0), "fsconfig", fileSystem, $"{key}={value}");
            Check.Io(Interop.SyscallFsconfig(Interop.SysFsconfig, c.Fd, Interop.FSCONFIG_CMD_CREATE, null, null, 0), "fsconfig", fileSystem, "FSCONFIG_CMD_CREATE");
            long fd = Interop.SyscallFsmount(Interop.SysFsmount, c.Fd, Interop.FSMOUNT_CLOEXEC, (uint)attributes);
            return new DetachedMount(new SafeFdHandle((int)Check.Io(fd, "fsmount", fileSystem)), fileSystem);
        }
    }

    /// <summary>
    /// mount_setattr: sets <paramref name="set"/>, clears <paramref name="clear"/> and changes the
    /// propagation type, on the top mount or (<paramref name="recursive"/>) on every mount of the tree.
    /// </summary>
    public unsafe void SetAttributes(MountAttributes set, MountAttributes clear = MountAttributes.None,
        MountPropagation propagation = MountPropagation.Unchanged, bool recursive = true)
    {
        var attr = new Interop.MountAttr { AttrSet = (ulong)set, AttrClr = (ulong)clear, Propagation = (ulong)propagation };
        uint flags = (uint)LibC.AT_EMPTY_PATH | (recursive ? Interop.AT_RECURSIVE : 0);
        using var d = new FdRef(_fd);
        Check.Io(Interop.SyscallMountSetattr(Interop.SysMountSetattr, d.Fd, "", flags, &attr, (nuint)sizeof(Interop.MountAttr)),
            "mount_setattr", Description, $"set={set}, clear={clear}, propagation={propagation}");
    }

    /// <summary>move_mount onto a pinned directory (MOVE_MOUNT_T_EMPTY_PATH: the target is that descriptor, no path is resolved).</summary>
    public void AttachTo(PinnedDirectory target) => AttachTo(target.Handle, target.Path);

    /// <summary>move_mount onto a pinned non-directory (a file placeholder from <see cref="PinnedDirectory.CreateFile"/>).</summary>
    public void AttachTo(SafeFdHandle target, string targetPath)
    {
        using (var d = new FdRef(_fd))
        using (var t = new FdRef(target))
        {
            Check.Io(Interop.SyscallMoveMount(Interop.SysMoveMount, d.Fd, "", t.Fd, "", Interop.MOVE_MOUNT_F_EMPTY_PATH | Interop.MOVE_MOUNT_T_EMPTY_PATH),
                "move_mount", Description, targetPath);
        }
        _attached = true;
    }

    /// <summary>The root of the tree as a pinned directory (after <see cref="AttachTo"/>: the mounted tree's root).</summary>
    public PinnedDirectory OpenRoot(string path) => PinnedDirectory.FromHandle(Descriptors.Duplicate(_fd), path);

    /// <summary>statx of the tree's root: what was cloned (a directory or a file), decided on the clone itself.</summary>
    public FileStatus Status() => PinnedDirectory.StatusOf(_fd, "", Description);

    /// <summary>True once the tree was attached.</summary>
    public bool IsAttached => _attached;

    public void Dispose() => _fd.Dispose();
}
