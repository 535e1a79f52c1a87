using System.Runtime.InteropServices;
using System.Text;
using SandboxRt.Interop;

namespace SandboxRt.Cgroups;

/// <summary>
/// Reads and writes of cgroup interface files. Writes go through open(2)/write(2) so that the kernel's
/// errno (EINVAL for a bad value, EBUSY, ENOENT for a controller that is not enabled) reaches the
/// message. Files are opened without O_CREAT: writing a file the kernel does not provide fails
/// instead of creating it (which also keeps temp-directory test roots honest).
/// </summary>
internal static class CgroupFile
{
    public static void Write(string path, string value) => TryWrite(path, value, missingIsError: true);

    /// <summary>Writes <paramref name="value"/>; returns false when the file does not exist and that is allowed.</summary>
    public static bool TryWrite(string path, string value, bool missingIsError)
    {
        SafeFdHandle fd;
        try
        {
            fd = FileDescriptors.Open(path, FileDescriptors.WriteOnly | Tmds.Linux.LibC.O_TRUNC);
        }
        catch (SyscallException e) when (e.Errno == Errno.ENOENT && !missingIsError)
        {
            return false;
        }
        catch (SyscallException e)
        {
            throw Failure("write", path, value, e.Errno, e);
        }
        using (fd)
        {
            try
            {
                FileDescriptors.Write(fd, Encoding.UTF8.GetBytes(value), path);
            }
            catch (SyscallException e)
            {
                throw Failure("write", path, value, e.Errno, e);
            }
        }
        return true;
    }

    public static string Read(string path) =>
        TryRead(path) ?? throw new CgroupException($"read {path}: ENOENT ({Marshal.GetPInvokeErrorMessage((int)Errno.ENOENT)})", path, Errno.ENOENT);

    /// <summary>The file's content, or null when it does not exist (the controller is not enabled here).</summary>
    public static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (IOException e)
        {
            throw new CgroupException($"read {path}: {e.Message}", path, inner: e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new CgroupException($"read {path}: EACCES ({e.Message})", path, Errno.EACCES, e);
        }
    }

    private static CgroupException Failure(string operation, string path, string value, Errno errno, Exception inner)
    {
        var name = Enum.IsDefined(errno) ? errno.ToString() : "errno " + (int)errno;
        return new CgroupException($"{operation} {path} \"{value}\": {name} ({Marshal.GetPInvokeErrorMessage((int)errno)})", path, errno, inner);
    }
}
