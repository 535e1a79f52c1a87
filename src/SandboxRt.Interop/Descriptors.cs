namespace SandboxRt.Interop;

/// <summary>Descriptor flags (fcntl) that decide what a child process inherits.</summary>
public static class Descriptors
{
    private const int F_GETFD = 1, F_SETFD = 2, FD_CLOEXEC = 1;

    /// <summary>Clears or sets FD_CLOEXEC so that the descriptor is (or is not) inherited across execve.</summary>
    public static void SetInheritable(SafeFdHandle fd, bool inheritable)
    {
        int flags = Check.Io(Interop.Fcntl(fd.Number, F_GETFD, 0), "fcntl", "F_GETFD");
        flags = inheritable ? flags & ~FD_CLOEXEC : flags | FD_CLOEXEC;
        Check.Io(Interop.Fcntl(fd.Number, F_SETFD, flags), "fcntl", "F_SETFD");
    }
}
