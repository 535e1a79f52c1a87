using SandboxRt.Interop;

namespace SandboxRt.Cgroups;

/// <summary>
/// A cgroup operation that failed. The message names the operation, the file and the value, e.g.
/// <c>write /sys/fs/cgroup/c1/memory.max "64M": EINVAL (Invalid argument)</c>.
/// </summary>
public sealed class CgroupException : IOException
{
    public CgroupException(string message, string path, Errno errno = Errno.None, Exception? inner = null)
        : base(message, inner)
    {
        Path = path;
        Errno = errno;
    }

    /// <summary>The cgroup file or directory involved.</summary>
    public string Path { get; }

    /// <summary>The errno of the failed system call; <see cref="Errno.None"/> when the failure was not one (a timeout).</summary>
    public Errno Errno { get; }
}
