namespace SandboxRt.Interop;

/// <summary>
/// An exclusive flock(2) on a lock file, held until disposed: how separate CLI invocations for the same
/// container take turns. Waiting is bounded; the error names the file.
/// </summary>
public sealed class FileLock : IDisposable
{
    private const int O_RDWR = 2, O_CREAT = 0x40, O_CLOEXEC = 0x80000;
    private readonly SafeFdHandle _fd;

    private FileLock(SafeFdHandle fd) => _fd = fd;

    public static FileLock Acquire(string path, TimeSpan timeout)
    {
        var fd = new SafeFdHandle(Check.Io(Interop.Open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0x180 /* 0600 */), "open", path));
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (Interop.Flock(fd.Number, Interop.LOCK_EX | Interop.LOCK_NB) == 0)
                return new FileLock(fd);
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

    public void Dispose()
    {
        if (!_fd.IsClosed)
            Interop.Flock(_fd.Number, Interop.LOCK_UN);
        _fd.Dispose();
    }
}
