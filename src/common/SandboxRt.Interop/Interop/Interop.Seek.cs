using System.Runtime.InteropServices;
using Tmds.Linux;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    internal const int SEEK_DATA = 3;
    internal const int SEEK_HOLE = 4;

    internal static long Lseek(int fd, long offset, int whence) => LibC.lseek(fd, offset, whence);
}
