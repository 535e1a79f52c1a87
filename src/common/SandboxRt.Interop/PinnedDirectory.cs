// A directory held open by descriptor, and everything the host does inside trees a guest may have
// touched: create, open, remove and unmount entries relative to that descriptor, never by re-resolving a
// path from the root, and never through a symlink.
//
// Why: a path string is resolved again on every use, and any component of it may have been swapped for a
// symlink since it was checked (CVE-2020-2026 in Kata: a guest planted a symlink where the host was about
// to mount). A descriptor names one directory for good. Lookups below it use openat2 with
// RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, so no name can lead out of the tree or
// through a link; creation (mkdirat, mknodat) never follows a link at the last component either; and
// removal is unlinkat of one name in the pinned directory. Unmounting has no descriptor form: it goes
// through /proc/self/fd/<pinned>/<name> with UMOUNT_NOFOLLOW, where the magic link is the pinned directory
// itself (resolved by the kernel from the descriptor, not from text) and the last name is not followed.
using System.Runtime.InteropServices;
using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace SandboxRt.Interop;

public sealed class PinnedDirectory : IDisposable
{
    private const uint S_IFREG = 0x8000;
    private const byte DT_UNKNOWN = 0, DT_DIR = 4;
    private const int MaxRaceRetries = 1000;

    private readonly SafeFdHandle _fd;

    private PinnedDirectory(SafeFdHandle fd, string path)
    {
        _fd = fd;
        Path = path;
    }

    /// <summary>The path this directory was reached by: for messages only, never resolved again.</summary>
    public string Path { get; }

    /// <summary>The descriptor (O_PATH), for the mount calls that take a target descriptor.</summary>
    internal SafeFdHandle Handle => _fd;

    /// <summary>
    /// Opens a directory the caller trusts the path of (a state root it was given, the runtime's own
    /// directories): every component but the last may be a symlink, the last may not (O_NOFOLLOW).
    /// </summary>
    public static PinnedDirectory Open(string path)
    {
        int fd;
        do
            fd = Interop.Open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
        while (Check.Interrupted(fd));
        return new PinnedDirectory(new SafeFdHandle(Check.Io(fd, "open", path)), path);
    }

    /// <summary>Like <see cref="Open"/>, but false when the directory does not exist.</summary>
    public static bool TryOpen(string path, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PinnedDirectory? directory)
    {
        try
        {
            directory = Open(path);
            return true;
        }
        catch (SyscallException e) when (e.Errno == Errno.ENOENT)
        {
            directory = null;
            return false;
        }
    }

    /// <summary>Wraps a descriptor that refers to a directory (a mount's root after it was attached).</summary>
    internal static PinnedDirectory FromHandle(SafeFdHandle fd, string path) => new(fd, path);

    /// <summary>Opens a directory below this one: beneath it, through no symlink or magic link, crossing mounts.</summary>
    public PinnedDirectory OpenDirectory(string relative) =>
        new(OpenBeneath(relative, O_PATH | O_DIRECTORY, ResolveFlags.Strict), Combine(relative));

    /// <summary>Like <see cref="OpenDirectory"/>, but false when the entry does not exist.</summary>
    public bool TryOpenDirectory(string relative, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PinnedDirectory? directory)
    {
        directory = null;
        if (!TryOpenBeneath(relative, O_PATH | O_DIRECTORY, ResolveFlags.Strict, out var fd, out var errno))
        {
            if (errno == Errno.ENOENT)
                return false;
            throw new SyscallException("openat2", errno, Combine(relative));
        }
        directory = new PinnedDirectory(fd!, Combine(relative));
        return true;
    }

    /// <summary>
    /// mkdirat of one name (an existing directory is fine) and returns it pinned. A symlink or a file in
    /// its place fails (ELOOP, ENOTDIR) instead of being followed.
    /// </summary>
    public PinnedDirectory CreateDirectory(string name, uint mode = 0x1C0 /* 0700 */)
    {
        RequireName(name);
        using (var d = new FdRef(_fd))
        {
            if (Interop.MkdirAt(d.Fd, name, mode) != 0)
            {
                var errno = SyscallException.LastErrno;
                if (errno != Errno.EEXIST)
                    throw new SyscallException("mkdirat", errno, Combine(name));
            }
        }
        return OpenDirectory(name);
    }

    /// <summary>mkdirat of one name that must not exist yet (EEXIST otherwise), returned pinned.</summary>
    public PinnedDirectory CreateNewDirectory(string name, uint mode = 0x1C0 /* 0700 */)
    {
        RequireName(name);
        using (var d = new FdRef(_fd))
            Check.Io(Interop.MkdirAt(d.Fd, name, mode), "mkdirat", Combine(name));
        return OpenDirectory(name);
    }

    /// <summary>
    /// mknodat of an empty regular file that must not exist yet (a bind-mount target for a file), and a
    /// descriptor (O_PATH, not following a link) on it.
    /// </summary>
    public SafeFdHandle CreateFile(string name, uint mode = 0x180 /* 0600 */)
    {
        RequireName(name);
        using (var d = new FdRef(_fd))
            Check.Io(Interop.MknodAt(d.Fd, name, S_IFREG | (mode & 0xFFF), 0), "mknodat", Combine(name));
        return OpenBeneath(name, O_PATH, ResolveFlags.Strict); // a symlink swapped in since: ELOOP (RESOLVE_NO_SYMLINKS)
    }

    /// <summary>
    /// Creates what is missing of <paramref name="path"/> with this directory as its root: every name is
    /// resolved with RESOLVE_IN_ROOT, so ".." and symlinks (absolute ones too) resolve as if this directory
    /// were "/", the way a container that has it as its root sees them, and nothing outside is reached.
    /// Missing parents become directories; the last name a directory or an empty file. What exists is kept.
    /// True when this call made the last name.
    /// </summary>
    public bool CreatePathInRoot(string path, bool directory, uint directoryMode = 0x1ED /* 0755 */, uint fileMode = 0x1A4 /* 0644 */)
    {
        bool created = false;
        const ResolveFlags InRoot = ResolveFlags.InRoot | ResolveFlags.NoMagicLinks;
        var names = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var prefix = ".";
        for (int i = 0; i < names.Length; i++)
        {
            var next = prefix == "." ? names[i] : prefix + "/" + names[i];
            if (TryOpenBeneath(next, O_PATH, InRoot, out var existing, out var errno))
            {
                existing!.Dispose();
                prefix = next;
                continue;
            }
            if (errno != Errno.ENOENT || names[i] is "." or "..")
                throw new SyscallException("openat2", errno, Combine(next));
            using var parent = OpenBeneath(prefix, O_PATH | O_DIRECTORY, InRoot);
            using var p = new FdRef(parent);
            bool last = i == names.Length - 1;
            int result = last && !directory
                ? Interop.MknodAt(p.Fd, names[i], S_IFREG | (fileMode & 0xFFF), 0)
                : Interop.MkdirAt(p.Fd, names[i], directoryMode);
            if (result != 0 && SyscallException.LastErrno != Errno.EEXIST)
                throw new SyscallException(last && !directory ? "mknodat" : "mkdirat", SyscallException.LastErrno, Combine(next));
            created = last && result == 0;
            prefix = next;
        }
        return created;
    }

    /// <summary>statx of an entry below this directory (not following a symlink), or of the directory itself for "".</summary>
    public FileStatus Status(string relative = "") => StatusOf(_fd, relative, Combine(relative));

    internal static unsafe FileStatus StatusOf(SafeFdHandle fd, string relative, string display)
    {
        Interop.StatxBuffer buffer;
        int flags = (int)(LibC.AT_SYMLINK_NOFOLLOW | LibC.AT_NO_AUTOMOUNT | (relative.Length == 0 ? LibC.AT_EMPTY_PATH : 0));
        using (var d = new FdRef(fd))
            Check.Io(Interop.Statx(d.Fd, relative, flags, LibC.STATX_TYPE | LibC.STATX_MODE | LibC.STATX_UID | Interop.STATX_MNT_ID, &buffer), "statx", display);
        bool mountRoot = (buffer.AttributesMask & Interop.STATX_ATTR_MOUNT_ROOT) != 0 && (buffer.Attributes & Interop.STATX_ATTR_MOUNT_ROOT) != 0;
        return new FileStatus(buffer.Mode, buffer.Uid, buffer.MountId, mountRoot);
    }

    /// <summary>The entries of this directory (without "." and ".."), read with getdents64 from the pinned descriptor.</summary>
    public unsafe IReadOnlyList<DirectoryEntry> Entries()
    {
        using var open = OpenBeneath(".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW, ResolveFlags.Strict);
        var entries = new List<DirectoryEntry>();
        var buffer = new byte[16 * 1024];
        using var d = new FdRef(open);
        while (true)
        {
            nint n;
            fixed (byte* p = buffer)
            {
                do
                    n = Interop.Getdents64(d.Fd, p, (nuint)buffer.Length);
                while (n < 0 && SyscallException.LastErrno == Errno.EINTR);
            }
            if (n < 0)
                throw new SyscallException("getdents64", SyscallException.LastErrno, Path);
            if (n == 0)
                return entries;
            // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
            for (int offset = 0; offset < n;)
            {
                int length = BitConverter.ToUInt16(buffer, offset + 16);
                byte type = buffer[offset + 18];
                var nameBytes = buffer.AsSpan(offset + 19, length - 19);
                var name = Encoding.UTF8.GetString(nameBytes[..nameBytes.IndexOf((byte)0)]);
                offset += length;
                if (name is "." or "..")
                    continue;
                bool directory = type == DT_UNKNOWN ? Status(name).IsDirectory : type == DT_DIR;
                entries.Add(new DirectoryEntry(name, directory));
            }
        }
    }

    /// <summary>unlinkat of one name: a directory (which must be empty) or any other entry. False when it was not there.</summary>
    public bool Remove(string name, bool directory)
    {
        RequireName(name);
        using var d = new FdRef(_fd);
        if (Interop.UnlinkAt(d.Fd, name, directory ? (int)LibC.AT_REMOVEDIR : 0) == 0)
            return true;
        var errno = SyscallException.LastErrno;
        if (errno == Errno.ENOENT)
            return false;
        throw new SyscallException("unlinkat", errno, Combine(name));
    }

    /// <summary>
    /// Removes an entry and, for a directory, everything below it, by descriptor: each directory is opened
    /// beneath its parent with no symlink and no mount crossing (RESOLVE_NO_XDEV), so the walk can neither
    /// leave the tree nor enter a file system mounted in it; a mount point found on the way stops the
    /// removal with an error naming it. False when the entry was not there. An entry whose type changes
    /// between the look and the unlink (someone swapped a directory and a symlink: EISDIR, ENOTDIR) is
    /// looked at again, a few times.
    /// </summary>
    public bool RemoveTree(string name)
    {
        RequireName(name);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return RemoveTreeOnce(name);
            }
            catch (SyscallException e) when (e.Errno is Errno.EISDIR or Errno.ENOTDIR && attempt < TypeChangeRetries)
            {
            }
        }
    }

    private const int TypeChangeRetries = 8;

    private bool RemoveTreeOnce(string name)
    {
        FileStatus status;
        try
        {
            status = Status(name);
        }
        catch (SyscallException e) when (e.Errno == Errno.ENOENT)
        {
            return false;
        }
        if (status.IsDirectory)
        {
            if (!TryOpenBeneath(name, O_PATH | O_DIRECTORY, ResolveFlags.Strict | ResolveFlags.NoXdev, out var fd, out var errno))
            {
                if (errno == Errno.ENOENT)
                    return false;
                if (errno == Errno.EXDEV)
                    throw new IOException($"cannot remove {Combine(name)}: it is a mount point (unmount it first)");
                throw new SyscallException("openat2", errno, Combine(name));
            }
            using var child = new PinnedDirectory(fd!, Combine(name));
            foreach (var entry in child.Entries())
            {
                if (entry.IsDirectory)
                    child.RemoveTree(entry.Name);
                else if (!TryRemoveFile(child, entry.Name))
                    child.RemoveTree(entry.Name); // it became a directory meanwhile
            }
        }
        return Remove(name, status.IsDirectory);
    }

    /// <summary>unlinkat of a non-directory; false when it turned out to be a directory (EISDIR).</summary>
    private static bool TryRemoveFile(PinnedDirectory directory, string name)
    {
        try
        {
            directory.Remove(name, directory: false);
            return true;
        }
        catch (SyscallException e) when (e.Errno == Errno.EISDIR)
        {
            return false;
        }
    }

    /// <summary>
    /// Lazily detaches every mount on entry <paramref name="name"/> of this directory (umount2 with
    /// MNT_DETACH | UMOUNT_NOFOLLOW through /proc/self/fd), the mounts below each going with it: a stack
    /// (a mount over an unbindable guard, Storage/UnbindableGuard.cs) is taken from the top until the name
    /// is no mount point. A symlink there is not followed. False when nothing is mounted there.
    /// </summary>
    public bool Unmount(string name)
    {
        RequireName(name);
        using var d = new FdRef(_fd);
        for (int detached = 0; ; detached++)
        {
            if (Interop.Umount2Flags($"/proc/self/fd/{d.Fd}/{name}", LibC.MNT_DETACH | LibC.UMOUNT_NOFOLLOW) == 0)
            {
                if (detached < MaxStackedMounts)
                    continue;
                throw new IOException($"{Combine(name)}: more than {MaxStackedMounts} mounts stacked on it");
            }
            var errno = SyscallException.LastErrno;
            if (errno is Errno.EINVAL or Errno.ENOENT)
                return detached > 0;
            throw new SyscallException("umount2", errno, Combine(name));
        }
    }

    // We stack two (a guard and a mount); more is someone else's doing, not a loop without end.
    private const int MaxStackedMounts = 64;

    public void Dispose() => _fd.Dispose();

    private string Combine(string relative) => relative.Length == 0 || relative == "." ? Path : Path.TrimEnd('/') + "/" + relative;

    private SafeFdHandle OpenBeneath(string relative, int flags, ResolveFlags resolve, uint mode = 0)
    {
        if (!TryOpenBeneath(relative, flags, resolve, out var fd, out var errno, mode))
            throw new SyscallException("openat2", errno, Combine(relative));
        return fd!;
    }

    private unsafe bool TryOpenBeneath(string relative, int flags, ResolveFlags resolve, out SafeFdHandle? handle, out Errno errno, uint mode = 0)
    {
        var how = new open_how { flags = (ulong)(flags | O_CLOEXEC), mode = mode, resolve = (ulong)resolve };
        long fd;
        using (var d = new FdRef(_fd))
        {
            // EAGAIN: with RESOLVE_BENEATH the kernel saw a rename or mount race during the walk and
            // refuses to guess; the walk is repeated, a bounded number of times.
            int attempts = 0;
            do
                fd = Interop.Openat2(d.Fd, relative, &how);
            while (fd < 0 && (SyscallException.LastErrno == Errno.EINTR || SyscallException.LastErrno == Errno.EAGAIN && ++attempts < MaxRaceRetries));
        }
        if (fd < 0)
        {
            errno = SyscallException.LastErrno;
            handle = null;
            return false;
        }
        errno = Errno.None;
        handle = new SafeFdHandle((int)fd);
        return true;
    }

    /// <summary>Names given to the *at calls here are single components: no "/", no "." or "..", not empty.</summary>
    private void RequireName(string name)
    {
        if (name.Length == 0 || name is "." or ".." || name.Contains('/') || name.Contains('\0'))
            throw new ArgumentException($"'{name}' is not a single file name (in {Path})", nameof(name));
    }
}
