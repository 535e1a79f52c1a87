using System.Runtime.InteropServices;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace SandboxRt.Interop;

/// <summary>A pseudo-terminal pair opened from a devpts instance's ptmx.</summary>
public static class PseudoTerminal
{
    /// <summary>Opens a new pty through <paramref name="ptmx"/>; returns the master and the slave's path.</summary>
    public static unsafe (SafeFdHandle Master, string SlavePath) Open(string ptmx = "/dev/ptmx")
    {
        var master = new SafeFdHandle(Check.Io(Interop.Open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC, 0), "open", ptmx));
        try
        {
            int unlock = 0;
            Check.Io(Interop.Ioctl(master.Number, LibC.TIOCSPTLCK, &unlock), "ioctl", ptmx, "TIOCSPTLCK");
            uint number;
            Check.Io(Interop.Ioctl(master.Number, LibC.TIOCGPTN, &number), "ioctl", ptmx, "TIOCGPTN");
            var directory = Path.GetDirectoryName(ptmx) ?? "/dev";
            // /dev/ptmx is usually a link to pts/ptmx: the slaves live next to the real ptmx.
            var target = new FileInfo(ptmx).LinkTarget;
            if (target is not null)
                directory = Path.GetDirectoryName(Path.GetFullPath(target, directory)) ?? directory;
            else if (!directory.EndsWith("/pts", StringComparison.Ordinal))
                directory = Path.Combine(directory, "pts");
            return (master, Path.Combine(directory, number.ToString()));
        }
        catch
        {
            master.Dispose();
            throw;
        }
    }

    public static SafeFdHandle OpenSlave(string path) =>
        new(Check.Io(Interop.Open(path, O_RDWR | O_NOCTTY | O_CLOEXEC, 0), "open", path));

    /// <summary>Makes the terminal this process's controlling terminal (the caller must be a session leader).</summary>
    public static void MakeControlling(SafeFdHandle terminal) =>
        Check.Io(Interop.Ioctl(terminal.Number, LibC.TIOCSCTTY, 0), "ioctl", "TIOCSCTTY");

    public static unsafe void SetWindowSize(SafeHandle terminal, ushort rows, ushort columns)
    {
        using var fd = new FdRef(terminal);
        var size = new Interop.WinSize { Rows = rows, Columns = columns };
        Check.Io(Interop.Ioctl(fd.Fd, LibC.TIOCSWINSZ, &size), "ioctl", "TIOCSWINSZ");
    }

    /// <summary>The terminal's size, or null when the descriptor is not a terminal.</summary>
    public static unsafe (ushort Rows, ushort Columns)? GetWindowSize(SafeHandle terminal)
    {
        using var fd = new FdRef(terminal);
        Interop.WinSize size;
        if (Interop.Ioctl(fd.Fd, LibC.TIOCGWINSZ, &size) != 0)
            return null;
        return (size.Rows, size.Columns);
    }
}
