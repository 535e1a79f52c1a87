namespace SandboxRt.Interop;

/// <summary>unshare(2) and setns(2). Both act on the calling thread only (its nsproxy and fs).</summary>
public static class Namespaces
{
    public const int CloneFs = 0x00000200;
    /// <summary>CLONE_NEWPID (linux/sched.h): unshared, it applies to the calling thread's later children only.</summary>
    public const int ClonePid = 0x20000000;

    public static void Unshare(int flags, string what)
    {
        if (Interop.Unshare(flags) != 0)
            throw new SyscallException("unshare", SyscallException.LastErrno, what);
    }

    /// <summary>Joins the namespace at <paramref name="path"/> (e.g. /proc/42/ns/net); <paramref name="cloneFlag"/> checks its type.</summary>
    public static void Join(string path, int cloneFlag)
    {
        using var fd = FileDescriptors.Open(path, FileDescriptors.ReadOnly);
        Join(fd, cloneFlag, path);
    }

    public static void Join(SafeFdHandle fd, int cloneFlag, string what)
    {
        if (Interop.Setns(fd.Number, cloneFlag) != 0)
            throw new SyscallException("setns", SyscallException.LastErrno, what);
    }

    /// <summary>The namespace identity (inode) behind /proc/PID/ns/NAME, for comparing namespaces.</summary>
    public static string Identity(string path) => new FileInfo(path).LinkTarget ?? "";
}
