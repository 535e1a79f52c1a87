namespace SandboxRt.Interop;

/// <summary>Descriptor flags (fcntl) that decide what a child process inherits.</summary>
public static class Descriptors
{
    private const int F_GETFD = 1, F_SETFD = 2, FD_CLOEXEC = 1;

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
        new(Check.Io(Interop.Fcntl(source.Number, Interop.F_DUPFD_CLOEXEC, 3), "fcntl", "F_DUPFD_CLOEXEC"));

    /// <summary>True when the descriptor is open in this process (fcntl F_GETFD succeeds).</summary>
    public static bool IsOpen(SafeFdHandle fd) => Interop.Fcntl(fd.Number, F_GETFD, 0) >= 0;

    /// <summary>Clears or sets FD_CLOEXEC so that the descriptor is (or is not) inherited across execve.</summary>
    public static void SetInheritable(SafeFdHandle fd, bool inheritable)
    {
        int flags = Check.Io(Interop.Fcntl(fd.Number, F_GETFD, 0), "fcntl", "F_GETFD");
        flags = inheritable ? flags & ~FD_CLOEXEC : flags | FD_CLOEXEC;
        Check.Io(Interop.Fcntl(fd.Number, F_SETFD, flags), "fcntl", "F_SETFD");
    }
}
