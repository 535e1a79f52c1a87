using Tmds.Linux;

// A mount namespace held by descriptor, and code run inside it.
//
// setns(CLONE_NEWNS) changes one thread only, and only a thread that shares no file-system context
// (fs_struct: root and cwd) with another: .NET's threads share one, so a thread first unshares
// CLONE_FS. Such a thread is never given back to a pool: every Run gets a fresh OS thread that enters,
// runs the action and ends (DedicatedThread), as NetworkNamespace does for network namespaces. What the
// action opens there (descriptors of directories, detached mounts) stays usable from any thread
// afterwards; what must happen *in* the namespace are the calls the kernel checks against the caller's
// namespace: attaching a mount onto a target (move_mount), cloning a tree there (open_tree), umount2,
// and every path lookup.
//
// A child spawned from such a thread (posix_spawn: clone without CLONE_FS or CLONE_NEWNS) starts in the
// thread's namespace (ProcessSpawner with SpawnOptions.MountNamespace).
namespace SandboxRt.Interop;

public sealed class MountNamespace : IDisposable
{
    private const int CloneNewNs = 0x00020000;
    private readonly SafeFdHandle _fd;

    private MountNamespace(SafeFdHandle fd, string description)
    {
        _fd = fd;
        Description = description;
    }

    /// <summary>What the namespace is, for messages.</summary>
    public string Description { get; }

    /// <summary>The nsfs descriptor (for <see cref="SpawnOptions.MountNamespace"/>).</summary>
    public SafeFdHandle Handle => _fd;

    /// <summary>
    /// A new mount namespace, a copy of the calling thread's in which every mount is a slave of its
    /// original: unmounts (and mounts) on the host reach the copies where the host's mounts are shared,
    /// and nothing done in the new namespace reaches the host. Held by the returned object only.
    /// </summary>
    public static MountNamespace CreateSlaveCopy(string description) =>
        DedicatedThread.Run("mntns-new", () =>
        {
            Namespaces.Unshare(Namespaces.CloneFs | CloneNewNs, description);
            FileSystem.Mount(null, "/", null, MountFlags.Recursive | MountFlags.Slave);
            return new MountNamespace(FileDescriptors.Open("/proc/thread-self/ns/mnt", FileDescriptors.ReadOnly), description);
        });

    /// <summary>
    /// Opens the mount namespace bound at <paramref name="path"/> (<see cref="BindTo"/>); false when
    /// nothing is there or no namespace is bound there (an empty file). Another namespace type there is
    /// an IOException.
    /// </summary>
    public static bool TryOpen(string path, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out MountNamespace? ns)
    {
        SafeFdHandle fd;
        try
        {
            fd = FileDescriptors.Open(path, FileDescriptors.ReadOnly | FileDescriptors.NoFollow);
        }
        catch (SyscallException e) when (e.Errno is Errno.ENOENT)
        {
            ns = null;
            return false;
        }
        int type = Interop.Ioctl(fd.Number, Interop.NS_GET_NSTYPE, 0);
        if (type != CloneNewNs)
        {
            var errno = SyscallException.LastErrno;
            fd.Dispose();
            if (type < 0 && errno == Errno.ENOTTY) // not nsfs: the file a bind was to go on
            {
                ns = null;
                return false;
            }
            throw new IOException($"{path} is not a mount namespace");
        }
        ns = new MountNamespace(fd, path);
        return true;
    }

    /// <summary>
    /// Keeps the namespace alive after every holder has gone: binds it onto the existing empty file
    /// <paramref name="file"/> (as `ip netns add` binds a network namespace), made unbindable so that no
    /// recursive bind taken above it copies it (a copy would hold the namespace too). The file must be on
    /// a mount that does not propagate: the kernel refuses to propagate a bind of a mount namespace
    /// (EINVAL), so on a shared mount the bind fails (Storage/UnbindableGuard.cs gives it a place).
    /// </summary>
    public void BindTo(string file)
    {
        FileSystem.Mount($"/proc/self/fd/{_fd.Number}", file, null, MountFlags.Bind);
        FileSystem.Mount(null, file, null, MountFlags.Unbindable);
    }

    /// <summary>Runs <paramref name="action"/> on a fresh thread inside the namespace and returns its result, rethrowing its exception.</summary>
    public T Run<T>(Func<T> action) =>
        DedicatedThread.Run("mntns", () =>
        {
            Enter(_fd, Description);
            return action();
        });

    /// <summary>Runs <paramref name="action"/> inside the namespace, as <see cref="Run{T}"/>.</summary>
    public void Run(Action action) => Run(() => { action(); return true; });

    /// <summary>Moves the calling thread, which must be one of its own that ends afterwards, into the namespace held by <paramref name="fd"/>.</summary>
    internal static void Enter(SafeFdHandle fd, string description)
    {
        Namespaces.Unshare(Namespaces.CloneFs, "a file-system context of the thread's own, to enter " + description);
        Namespaces.Join(fd, CloneNewNs, description);
    }

    public void Dispose() => _fd.Dispose();
}
