using Tmds.Linux;

namespace SandboxRt.Interop.Netlink;

/// <summary>
/// Running code inside another network namespace. setns(2) changes only the calling thread, and a
/// thread that returns to a pool would carry the namespace into unrelated work, so every call gets a
/// fresh OS thread that joins the namespace, runs the action, and ends. Objects opened there (netlink
/// sockets, tap descriptors) stay bound to that namespace after the thread is gone.
/// </summary>
public static class NetworkNamespace
{
    /// <summary>
    /// Runs <paramref name="action"/> on a dedicated thread that has joined the network namespace at
    /// <paramref name="path"/> and returns its result, rethrowing its exception. A missing path is
    /// SyscallException("open", ENOENT, path); a path that is not a network namespace is an ArgumentException
    /// saying "PATH is not a network namespace".
    /// </summary>
    public static T RunIn<T>(string path, Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        using var fd = FileDescriptors.Open(path, FileDescriptors.ReadOnly);
        if (TypeOf(fd) is { } type && type != LibC.CLONE_NEWNET)
            throw NotANetworkNamespace(path);

        return DedicatedThread.Run("netns " + Path.GetFileName(path), () =>
        {
            if (Interop.Setns(fd.Number, LibC.CLONE_NEWNET) != 0)
            {
                var errno = SyscallException.LastErrno;
                throw errno == Errno.EINVAL ? NotANetworkNamespace(path) : new SyscallException("setns", errno, path, "CLONE_NEWNET");
            }
            return action();
        });
    }

    /// <summary>Runs <paramref name="action"/> in the network namespace at <paramref name="path"/>, as <see cref="RunIn{T}"/>.</summary>
    public static void RunIn(string path, Action action) => RunIn(path, () => { action(); return true; });

    /// <summary>
    /// True when <paramref name="path"/> is a network namespace (ioctl NS_GET_NSTYPE, or on kernels before
    /// 4.11 a setns on a throwaway thread); false when it is something else or does not exist.
    /// </summary>
    public static bool IsNetworkNamespace(string path)
    {
        SafeFdHandle fd;
        try
        {
            fd = FileDescriptors.Open(path, FileDescriptors.ReadOnly);
        }
        catch (SyscallException e) when (e.Errno is Errno.ENOENT or Errno.ENOTDIR)
        {
            return false;
        }
        using (fd)
        {
            if (TypeOf(fd) is { } type)
                return type == LibC.CLONE_NEWNET;
            return DedicatedThread.Run("netns-probe", () => Interop.Setns(fd.Number, LibC.CLONE_NEWNET) == 0);
        }
    }

    /// <summary>The CLONE_NEW* type of an nsfs descriptor, or null when the ioctl does not apply (not nsfs, or an old kernel).</summary>
    private static int? TypeOf(SafeFdHandle fd)
    {
        int type = Interop.Ioctl(fd.Number, Interop.NS_GET_NSTYPE, 0);
        return type >= 0 ? type : null;
    }

    private static ArgumentException NotANetworkNamespace(string path) => new($"{path} is not a network namespace", nameof(path));
}
