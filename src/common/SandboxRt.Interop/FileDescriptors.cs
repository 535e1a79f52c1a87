using static Tmds.Linux.LibC;

namespace SandboxRt.Interop;

/// <summary>open/read/write on descriptors that are not regular files (character devices, pipes).</summary>
public static class FileDescriptors
{
    public const int ReadOnly = 0, WriteOnly = 1, ReadWrite = 2;
    /// <summary>O_NOFOLLOW, to add to the access mode: a symlink as the last component fails with ELOOP.</summary>
    public const int NoFollow = 0x20000;

    /// <summary>Opens <paramref name="path"/> with O_CLOEXEC|O_NOCTTY added to <paramref name="access"/>.</summary>
    public static SafeFdHandle Open(string path, int access)
    {
        int fd;
        do
            fd = Interop.Open(path, access | O_NOCTTY | O_CLOEXEC, 0);
        while (Check.Interrupted(fd));
        return new SafeFdHandle(Check.Io(fd, "open", path));
    }

    /// <summary>
    /// Opens (creating it with <paramref name="createMode"/>) <paramref name="path"/> for writing with
    /// O_APPEND: every write(2) lands at the end, whoever else writes to the file. .NET's FileMode.Append
    /// only seeks to the end once, so two processes sharing a log overwrite each other's lines.
    /// </summary>
    public static SafeFdHandle OpenForAppend(string path, uint createMode)
    {
        int fd;
        do
            fd = Interop.Open(path, WriteOnly | O_CREAT | O_APPEND | O_NOCTTY | O_CLOEXEC, createMode);
        while (Check.Interrupted(fd));
        return new SafeFdHandle(Check.Io(fd, "open", path));
    }

    /// <summary>A Stream over the descriptor (blocking reads and writes; for ttys and pipes). Takes ownership.</summary>
    public static FileStream ToStream(SafeFdHandle fd, FileAccess access) =>
        new(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd.Release(), ownsHandle: true), access, bufferSize: 0);

    /// <summary>Blocking read; 0 means end of stream.</summary>
    /// <remarks>The handle is referenced for the duration: disposing it while a read blocks defers the close,
    /// so the descriptor number cannot be reused under a blocked reader.</remarks>
    public static int Read(SafeFdHandle fd, Span<byte> buffer, string what)
    {
        int n = TryRead(fd, buffer, what);
        return n >= 0 ? n : throw new SyscallException("read", Errno.EAGAIN, what); // only on a non-blocking descriptor
    }

    /// <summary>
    /// Reads <paramref name="fd"/> (a child's stderr pipe) until its end, or until at least
    /// <paramref name="limit"/> bytes were kept, as UTF-8 text; disposes it.
    /// </summary>
    public static string ReadAllText(SafeFdHandle fd, int limit, string what)
    {
        using (fd)
        {
            var buffer = new byte[4096];
            var text = new MemoryStream();
            int n;
            while ((n = Read(fd, buffer, what)) > 0 && text.Length < limit)
                text.Write(buffer, 0, n);
            return System.Text.Encoding.UTF8.GetString(text.ToArray());
        }
    }

    /// <summary>One read(2) on a non-blocking descriptor: the bytes read (0: end of stream), or -1 when it would block (EAGAIN).</summary>
    public static unsafe int TryRead(SafeFdHandle fd, Span<byte> buffer, string what)
    {
        using var held = new FdRef(fd);
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = Interop.Read(held.Fd, p, buffer.Length);
                if (n >= 0)
                    return (int)n;
                var errno = SyscallException.LastErrno;
                if (errno == Errno.EAGAIN)
                    return -1;
                if (errno != Errno.EINTR)
                    throw new SyscallException("read", errno, what);
            }
        }
    }

    /// <summary>One write(2) on a non-blocking descriptor: the bytes written, or 0 when it would block (EAGAIN).</summary>
    public static unsafe int TryWrite(SafeFdHandle fd, ReadOnlySpan<byte> buffer, string what)
    {
        using var held = new FdRef(fd);
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = Interop.Write(held.Fd, p, buffer.Length);
                if (n >= 0)
                    return (int)n;
                var errno = SyscallException.LastErrno;
                if (errno == Errno.EAGAIN)
                    return 0;
                if (errno != Errno.EINTR)
                    throw new SyscallException("write", errno, what);
            }
        }
    }

    /// <summary>Blocking write of the whole buffer.</summary>
    public static void Write(SafeFdHandle fd, ReadOnlySpan<byte> buffer, string what)
    {
        while (!buffer.IsEmpty)
        {
            int n = TryWrite(fd, buffer, what);
            if (n == 0)
                throw new SyscallException("write", Errno.EAGAIN, what); // only on a non-blocking descriptor
            buffer = buffer[n..];
        }
    }
}
