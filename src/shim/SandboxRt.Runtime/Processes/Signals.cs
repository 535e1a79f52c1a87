using Tmds.Linux;

namespace SandboxRt.Runtime.Processes;

/// <summary>The signal numbers the host side sends, by name (Tmds.LibC's, for x86_64).</summary>
public static class Signals
{
    public static readonly int SIGHUP = LibC.SIGHUP, SIGINT = LibC.SIGINT, SIGQUIT = LibC.SIGQUIT, SIGKILL = LibC.SIGKILL, SIGUSR1 = LibC.SIGUSR1,
        SIGSEGV = LibC.SIGSEGV, SIGUSR2 = LibC.SIGUSR2, SIGPIPE = LibC.SIGPIPE, SIGALRM = LibC.SIGALRM, SIGTERM = LibC.SIGTERM, SIGCHLD = LibC.SIGCHLD,
        SIGCONT = LibC.SIGCONT, SIGSTOP = LibC.SIGSTOP, SIGTSTP = LibC.SIGTSTP, SIGWINCH = LibC.SIGWINCH;
}
