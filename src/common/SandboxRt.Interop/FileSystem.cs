namespace SandboxRt.Interop;

/// <summary>Mount-table and file-node system calls, each failure naming the call and its paths.</summary>
public static class FileSystem
{
    private const long SysPivotRoot = 155; // x86_64

    public static void Mount(string? source, string target, string? fileSystemType, MountFlags flags = MountFlags.None, string? data = null)
    {
        if (Interop.Mount(source, target, fileSystemType, (ulong)flags, data) != 0)
            throw new SyscallException("mount", SyscallException.LastErrno, source, target, fileSystemType);
    }

    /// <summary>umount2 with MNT_DETACH when <paramref name="detach"/> is set.</summary>
    public static void Unmount(string target, bool detach = false)
    {
        if (Interop.Umount2(target, detach ? 2 : 0) != 0)
            throw new SyscallException("umount2", SyscallException.LastErrno, target);
    }

    /// <summary>Unmounts when mounted; returns false when the target was not a mount point or does not exist.</summary>
    public static bool TryUnmount(string target, bool detach = false)
    {
        if (Interop.Umount2(target, detach ? 2 : 0) == 0)
            return true;
        var errno = SyscallException.LastErrno;
        if (errno is Errno.EINVAL or Errno.ENOENT)
            return false;
        throw new SyscallException("umount2", errno, target);
    }

    public static void PivotRoot(string newRoot, string putOld)
    {
        if (Interop.SyscallPivotRoot(SysPivotRoot, newRoot, putOld) != 0)
            throw new SyscallException("pivot_root", SyscallException.LastErrno, newRoot, putOld);
    }

    public static void Chroot(string path) => Check.Io(Interop.Chroot(path), "chroot", path);

    /// <summary>Creates a character (<paramref name="character"/>) or block device node.</summary>
    public static void MakeDevice(string path, bool character, uint major, uint minor, uint permissions)
    {
        const uint S_IFCHR = 0x2000, S_IFBLK = 0x6000;
        ulong dev = ((ulong)(major & 0xfff) << 8) | (minor & 0xff) | ((ulong)(minor & ~0xffu) << 12) | ((ulong)(major & ~0xfffu) << 32);
        Check.Io(Interop.Mknod(path, (character ? S_IFCHR : S_IFBLK) | (permissions & 0xfff), dev), "mknod", path);
    }

    public static void Chown(string path, uint uid, uint gid) => Check.Io(Interop.Chown(path, uid, gid), "chown", path);

    public static void Symlink(string target, string linkPath) => Check.Io(Interop.Symlink(target, linkPath), "symlink", target, linkPath);

    /// <summary>Sets the process umask and returns the previous one.</summary>
    public static uint SetUmask(uint mask) => Interop.Umask(mask);

    public static void Sync() => Interop.Sync();
}
