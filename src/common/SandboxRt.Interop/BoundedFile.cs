using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace SandboxRt.Interop;

/// <summary>
/// Reads a small file that someone else controls (a bundle's config.json, a process.json) without
/// trusting what it is: opened with O_NONBLOCK|O_NOCTTY|O_CLOEXEC so a FIFO or a terminal cannot block or
/// become our controlling tty, checked to be a regular file on the descriptor itself (no race between a
/// check by path and the open), and read to at most the bound plus one byte, so /dev/zero behind a
/// symlink or a file that grows while we read cannot make us read forever.
/// </summary>
public static class BoundedFile
{
    /// <summary>
    /// The file's bytes. Throws <see cref="SyscallException"/> when it cannot be opened (ENOENT, EACCES,
    /// ELOOP, ENXIO for a socket), <see cref="NotARegularFileException"/> when it is a directory, device or
    /// FIFO, and <see cref="FileTooLargeException"/> when it holds more than <paramref name="maxBytes"/>.
    /// </summary>
    public static unsafe byte[] ReadRegular(string path, int maxBytes)
    {
        int fd;
        do
            fd = Interop.Open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
        while (Check.Interrupted(fd));
        using var handle = new SafeFdHandle(Check.Io(fd, "open", path));

        var type = TypeOf(handle, path);
        if (type != FileType.Regular)
            throw new NotARegularFileException(path, type);

        var buffer = new byte[Math.Min(maxBytes + 1, 64 * 1024)];
        int total = 0;
        while (true)
        {
            if (total == buffer.Length)
            {
                if (total > maxBytes)
                    throw new FileTooLargeException(path, maxBytes);
                Array.Resize(ref buffer, Math.Min(maxBytes + 1, buffer.Length * 2));
            }
            int n = FileDescriptors.Read(handle, buffer.AsSpan(total), path);
            if (n == 0)
                break;
            total += n;
        }
        if (total > maxBytes)
            throw new FileTooLargeException(path, maxBytes);
        return buffer.AsSpan(0, total).ToArray();
    }

    /// <summary>The type of the file a descriptor refers to (statx with AT_EMPTY_PATH: the descriptor itself).</summary>
    public static unsafe FileType TypeOf(SafeFdHandle handle, string what)
    {
        Interop.StatxBuffer buffer;
        using (var fd = new FdRef(handle))
            Check.Io(Interop.Statx(fd.Fd, "", (int)LibC.AT_EMPTY_PATH, LibC.STATX_TYPE, &buffer), "statx", what);
        return (FileType)(buffer.Mode & 0xF000);
    }
}
