using Tmds.Linux;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    internal static int Unshare(int flags) => LibC.unshare(flags);

    internal static int Setns(int fd, int nstype) => LibC.setns(fd, nstype);
}
