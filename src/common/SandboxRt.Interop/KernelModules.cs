using static Tmds.Linux.LibC;

namespace SandboxRt.Interop;

/// <summary>Loads kernel modules from files with finit_module(2).</summary>
public static class KernelModules
{
    /// <summary>
    /// Loads the module at <paramref name="path"/>. Returns false when it was already loaded (EEXIST),
    /// true when this call loaded it.
    /// </summary>
    public static bool Load(string path, string parameters = "")
    {
        int fd = Check.Io(Interop.Open(path, O_RDONLY | O_CLOEXEC, 0), "open", path);
        using var handle = new SafeFdHandle(fd);
        if (Interop.SyscallFinitModule(Interop.SysFinitModule, fd, parameters, 0) == 0)
            return true;
        var errno = SyscallException.LastErrno;
        if (errno == Errno.EEXIST)
            return false;
        throw new SyscallException("finit_module", errno, path);
    }
}
