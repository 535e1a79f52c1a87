using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

/// <summary>Puts a terminal into raw mode and restores it (the host side of `run -t`).</summary>
public sealed class TerminalMode : IDisposable
{
    private readonly SafeHandle _terminal;
    private readonly byte[] _saved = new byte[Interop.TermiosSize];
    private int _restored;

    private TerminalMode(SafeHandle terminal) => _terminal = terminal;

    public static bool IsTerminal(SafeHandle handle)
    {
        using var fd = new FdRef(handle);
        return Interop.IsATty(fd.Fd) == 1;
    }

    /// <summary>Switches to raw mode; disposing restores the previous settings.</summary>
    public static unsafe TerminalMode MakeRaw(SafeHandle terminal)
    {
        var mode = new TerminalMode(terminal);
        using var fd = new FdRef(terminal);
        var raw = new byte[Interop.TermiosSize];
        fixed (byte* saved = mode._saved)
        fixed (byte* r = raw)
        {
            Check.Io(Interop.TcGetAttr(fd.Fd, saved), "tcgetattr");
            Buffer.MemoryCopy(saved, r, raw.Length, raw.Length);
            Interop.CfMakeRaw(r);
            Check.Io(Interop.TcSetAttr(fd.Fd, 0 /* TCSANOW */, r), "tcsetattr");
        }
        return mode;
    }

    public unsafe void Dispose()
    {
        if (Interlocked.Exchange(ref _restored, 1) != 0)
            return;
        using var fd = new FdRef(_terminal);
        fixed (byte* saved = _saved)
            Interop.TcSetAttr(fd.Fd, 0, saved);
    }
}
