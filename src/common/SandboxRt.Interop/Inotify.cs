using System.Runtime.InteropServices;
using System.Text;
using static Tmds.Linux.LibC;

namespace SandboxRt.Interop;

/// <summary>
/// An inotify(7) instance read by one thread that blocks in <see cref="ReadEvents"/>. Another thread
/// wakes it with <see cref="Interrupt"/> (a byte on a private pipe that the reader polls together with
/// the inotify descriptor), which is how an owner stops its reader before disposing.
/// </summary>
public sealed class Inotify : IDisposable
{
    // Room for many events: a read needs at least one whole event (16 bytes + NAME_MAX + 1).
    private const int BufferSize = 16 * 1024;

    private readonly SafeFdHandle _fd;
    private readonly SafeFdHandle _wakeRead;
    private readonly SafeFdHandle _wakeWrite;
    private readonly byte[] _buffer = new byte[BufferSize];

    public unsafe Inotify()
    {
        _fd = new SafeFdHandle(Check.Io(Interop.InotifyInit1(Interop.IN_CLOEXEC | Interop.IN_NONBLOCK), "inotify_init1"));
        int* pipe = stackalloc int[2];
        if (Interop.Pipe2(pipe, O_NONBLOCK | O_CLOEXEC) != 0)
        {
            var errno = SyscallException.LastErrno;
            _fd.Dispose();
            throw new SyscallException("pipe2", errno);
        }
        _wakeRead = new SafeFdHandle(pipe[0]);
        _wakeWrite = new SafeFdHandle(pipe[1]);
    }

    /// <summary>Watches <paramref name="path"/> and returns the watch descriptor that its events carry.</summary>
    public int AddWatch(string path, InotifyMask mask)
    {
        using var fd = new FdRef(_fd);
        return Check.Io(Interop.InotifyAddWatch(fd.Fd, path, (uint)mask), "inotify_add_watch", path);
    }

    /// <summary>Removes a watch (an <see cref="InotifyMask.Ignored"/> event follows); false when it was already gone.</summary>
    public bool RemoveWatch(int watch)
    {
        using var fd = new FdRef(_fd);
        if (Interop.InotifyRmWatch(fd.Fd, watch) == 0)
            return true;
        var errno = SyscallException.LastErrno;
        if (errno == Errno.EINVAL)
            return false;
        throw new SyscallException("inotify_rm_watch", errno, watch.ToString());
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> (-1: forever) for events and returns them. Returns an empty
    /// list on timeout and when <see cref="Interrupt"/> was called (each call wakes one wait).
    /// </summary>
    public unsafe IReadOnlyList<InotifyEvent> ReadEvents(int timeoutMs)
    {
        using var inotify = new FdRef(_fd);
        using var wake = new FdRef(_wakeRead);
        var fds = stackalloc Interop.PollFd[2];
        fds[0] = new Interop.PollFd { Fd = inotify.Fd, Events = (short)PollEvents.In };
        fds[1] = new Interop.PollFd { Fd = wake.Fd, Events = (short)PollEvents.In };
        int ready;
        do
            ready = Interop.Poll(fds, 2, timeoutMs);
        while (Check.Interrupted(ready));
        Check.Io(ready, "poll", "inotify");
        if ((fds[1].Revents & (short)PollEvents.In) != 0)
        {
            byte drain;
            Interop.Read(wake.Fd, &drain, 1);
            return [];
        }
        if ((fds[0].Revents & (short)PollEvents.In) == 0)
            return [];
        nint n;
        fixed (byte* p = _buffer)
        {
            do
                n = Interop.Read(inotify.Fd, p, _buffer.Length);
            while (n < 0 && SyscallException.LastErrno == Errno.EINTR);
        }
        if (n < 0)
        {
            var errno = SyscallException.LastErrno;
            if (errno == Errno.EAGAIN)
                return [];
            throw new SyscallException("read", errno, "inotify");
        }
        return Parse(_buffer.AsSpan(0, (int)n));
    }

    /// <summary>Wakes the thread blocked in <see cref="ReadEvents"/> (or makes its next call return at once).</summary>
    public unsafe void Interrupt()
    {
        using var fd = new FdRef(_wakeWrite);
        byte one = 1;
        Interop.Write(fd.Fd, &one, 1); // EAGAIN: a wake-up is already pending
    }

    public void Dispose()
    {
        _fd.Dispose();
        _wakeRead.Dispose();
        _wakeWrite.Dispose();
    }

    private static unsafe List<InotifyEvent> Parse(ReadOnlySpan<byte> data)
    {
        var events = new List<InotifyEvent>();
        int headerSize = sizeof(Interop.InotifyEventHeader);
        while (data.Length >= headerSize)
        {
            var header = MemoryMarshal.Read<Interop.InotifyEventHeader>(data);
            var nameBytes = data.Slice(headerSize, (int)header.Length);
            int nul = nameBytes.IndexOf((byte)0);
            string? name = header.Length == 0 ? null : Encoding.UTF8.GetString(nul < 0 ? nameBytes : nameBytes[..nul]);
            events.Add(new InotifyEvent(header.Watch, (InotifyMask)header.Mask, header.Cookie, name));
            data = data[(headerSize + (int)header.Length)..];
        }
        return events;
    }
}
