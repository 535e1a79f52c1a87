using static Tmds.Linux.LibC;

namespace SandboxRt.Interop;

/// <summary>pipe2(2) with O_CLOEXEC: both ends owned, neither inherited unless handed to a spawn explicitly.</summary>
public static class Pipes
{
    public static unsafe (SafeFdHandle Read, SafeFdHandle Write) Create()
    {
        int* fds = stackalloc int[2];
        Check.Io(Interop.Pipe2(fds, O_CLOEXEC), "pipe2");
        return (new SafeFdHandle(fds[0]), new SafeFdHandle(fds[1]));
    }
}
