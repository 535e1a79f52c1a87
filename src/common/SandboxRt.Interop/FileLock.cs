using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace SandboxRt.Interop;

/// <summary>
/// An exclusive flock(2) on a lock file, held until disposed: how separate CLI invocations for the same
/// container take turns. Waiting is bounded; the error names the file.
/// The holder may unlink the file when the container is gone (so a deleted or never-created container
/// leaves no lock file). A waiter that opened the old file then gets its lock on an unlinked inode while
/// a newcomer locks a new file of the same name: after taking the lock, the descriptor is compared with
/// what the path names now, and a lock on a file that is no longer there is dropped and taken again.
/// </summary>
public sealed class FileLock : IDisposable
{
    private readonly SafeFdHandle _fd;

    private FileLock(SafeFdHandle fd) => _fd = fd;

    public static FileLock Acquire(string path, TimeSpan timeout)
    {
        var fd = new SafeFdHandle(Check.Io(Interop.Open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0x180 /* 0600 */), "open", path));
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (Interop.Flock(fd.Number, Interop.LOCK_EX | Interop.LOCK_NB) == 0)
            {
                if (StillNamedBy(fd, path))
                    return new FileLock(fd);
                fd.Dispose(); // unlinked (or replaced) while we waited: lock what the path names now
                fd = new SafeFdHandle(Check.Io(Interop.Open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0x180), "open", path));
                continue;
            }
            var errno = SyscallException.LastErrno;
            if (errno is not (Errno.EAGAIN or Errno.EINTR))
            {
                fd.Dispose();
                throw new SyscallException("flock", errno, path);
            }
            if (DateTime.UtcNow > deadline)
            {
                fd.Dispose();
                throw new TimeoutException($"{path} is locked by another sandboxrt process (waited {timeout.TotalSeconds:F0} s)");
            }
            Thread.Sleep(20);
        }
    }

    /// <summary>True when <paramref name="path"/> names the file open on <paramref name="fd"/> (same device and inode).</summary>
    private static unsafe bool StillNamedBy(SafeFdHandle fd, string path)
    {
        Interop.StatxBuffer open, named;
        Check.Io(Interop.Statx(fd.Number, "", (int)LibC.AT_EMPTY_PATH, LibC.STATX_INO, &open), "statx", path);
        if (Interop.Statx(LibC.AT_FDCWD, path, (int)LibC.AT_SYMLINK_NOFOLLOW, LibC.STATX_INO, &named) != 0)
            return false;
        return open.Inode == named.Inode && open.DeviceMajor == named.DeviceMajor && open.DeviceMinor == named.DeviceMinor;
    }

    public void Dispose()
    {
        if (!_fd.IsClosed)
            Interop.Flock(_fd.Number, Interop.LOCK_UN);
        _fd.Dispose();
    }
}
