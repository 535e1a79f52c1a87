using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace SandboxRt.Interop;

/// <summary>Descriptor flags (fcntl) that decide what a child process inherits.</summary>
public static class Descriptors
{
    /// <summary>dup3: makes descriptor number <paramref name="target"/> (0, 1, 2 for stdio) refer to <paramref name="source"/>'s file.</summary>
    public static void DuplicateTo(SafeFdHandle source, int target)
    {
        if (source.Number == target)
        {
            SetInheritable(source, true);
            return;
        }
        int result;
        do
            result = Interop.Dup3(source.Number, target, 0);
        while (Check.Interrupted(result));
        Check.Io(result, "dup3", source.Number.ToString(), target.ToString());
    }

    /// <summary>A second, independently owned descriptor for the same open file (F_DUPFD_CLOEXEC).</summary>
    public static SafeFdHandle Duplicate(SafeFdHandle source) =>
        new(Check.Io(Interop.Fcntl(source.Number, LibC.F_DUPFD_CLOEXEC, 3), "fcntl", "F_DUPFD_CLOEXEC"));

    /// <summary>True when the descriptor is open in this process (fcntl F_GETFD succeeds).</summary>
    public static bool IsOpen(SafeFdHandle fd) => Interop.Fcntl(fd.Number, F_GETFD, 0) >= 0;

    /// <summary>Clears or sets FD_CLOEXEC so that the descriptor is (or is not) inherited across execve.</summary>
    public static void SetInheritable(SafeFdHandle fd, bool inheritable)
    {
        int flags = Check.Io(Interop.Fcntl(fd.Number, F_GETFD, 0), "fcntl", "F_GETFD");
        flags = inheritable ? flags & ~FD_CLOEXEC : flags | FD_CLOEXEC;
        Check.Io(Interop.Fcntl(fd.Number, F_SETFD, flags), "fcntl", "F_SETFD");
    }

    /// <summary>
    /// Sets O_NONBLOCK on the open file (shared with every process holding it): a writer handed such a
    /// pipe end gets EAGAIN instead of blocking when its reader stalls.
    /// </summary>
    public static void SetNonBlocking(SafeFdHandle fd)
    {
        int flags = Check.Io(Interop.Fcntl(fd.Number, F_GETFL, 0), "fcntl", "F_GETFL");
        Check.Io(Interop.Fcntl(fd.Number, F_SETFL, flags | O_NONBLOCK), "fcntl", "F_SETFL", "O_NONBLOCK");
    }

    /// <summary>
    /// For a process about to execve: descriptors 0-2 and <paramref name="keep"/> cross exec (their
    /// close-on-exec flag is cleared), every other descriptor is marked close-on-exec
    /// (close_range CLOSE_RANGE_CLOEXEC), so nothing this process inherited or opened itself reaches the
    /// program. Marking rather than closing leaves the descriptors the running .NET runtime still uses
    /// alone until exec replaces it.
    /// </summary>
    public static void KeepOnlyAcrossExec(IReadOnlyCollection<int> keep)
    {
        var kept = keep.Where(fd => fd > 2).Distinct().Order().ToList();
        foreach (var fd in kept)
        {
            int flags = Interop.Fcntl(fd, F_GETFD, 0);
            if (flags < 0)
                throw new SyscallException("fcntl", SyscallException.LastErrno, "F_GETFD", fd.ToString());
            Check.Io(Interop.Fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC), "fcntl", "F_SETFD", fd.ToString());
        }
        uint first = 3;
        foreach (var fd in kept)
        {
            if (fd > first)
                Check.Io(Interop.CloseRange(first, (uint)fd - 1, (int)Interop.CLOSE_RANGE_CLOEXEC), "close_range", first.ToString(), (fd - 1).ToString());
            first = (uint)fd + 1;
        }
        Check.Io(Interop.CloseRange(first, uint.MaxValue, (int)Interop.CLOSE_RANGE_CLOEXEC), "close_range", first.ToString(), "~0");
    }

}
