using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    internal const ulong TIOCSCTTY = 0x540E;
    internal const ulong TIOCGWINSZ = 0x5413;
    internal const ulong TIOCSWINSZ = 0x5414;
    internal const ulong TIOCGPTN = 0x80045430;
    internal const ulong TIOCSPTLCK = 0x40045431;

    [StructLayout(LayoutKind.Sequential)]
    internal struct WinSize
    {
        public ushort Rows;
        public ushort Columns;
        public ushort XPixels;
        public ushort YPixels;
    }

    // struct termios is 60 bytes on x86_64 glibc; treated as opaque bytes.
    internal const int TermiosSize = 64;

    [LibraryImport(Libc, EntryPoint = "tcgetattr", SetLastError = true)]
    internal static unsafe partial int TcGetAttr(int fd, byte* termios);

    [LibraryImport(Libc, EntryPoint = "tcsetattr", SetLastError = true)]
    internal static unsafe partial int TcSetAttr(int fd, int optionalActions, byte* termios);

    [LibraryImport(Libc, EntryPoint = "cfmakeraw")]
    internal static unsafe partial void CfMakeRaw(byte* termios);

    [LibraryImport(Libc, EntryPoint = "isatty")]
    internal static partial int IsATty(int fd);
}
