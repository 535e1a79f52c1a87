using System.Runtime.InteropServices;
using Tmds.Linux;

namespace SandboxRt.Interop;

internal static partial class Interop
{
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

    internal static unsafe int TcGetAttr(int fd, byte* termios) => LibC.tcgetattr(fd, (termios*)termios);

    internal static unsafe int TcSetAttr(int fd, int optionalActions, byte* termios) => LibC.tcsetattr(fd, optionalActions, (termios*)termios);

    // Ours: Tmds.LibC has no cfmakeraw.
    [LibraryImport(Libc, EntryPoint = "cfmakeraw")]
    internal static unsafe partial void CfMakeRaw(byte* termios);

    internal static int IsATty(int fd) => LibC.isatty(fd);
}
