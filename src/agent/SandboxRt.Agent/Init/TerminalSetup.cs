using SandboxRt.Agent.Init.Syscalls;
using SandboxRt.Interop;

namespace SandboxRt.Agent.Init;

/// <summary>
/// process.terminal: a pty from the container's own devpts (so that tty names resolve inside it), the
/// master handed to the agent over the init socket, the slave made the controlling terminal and stdio.
/// </summary>
internal static class TerminalSetup
{
    public static void Run(Oci.Spec.Process process, InitChannel channel, bool bindConsole, IInitSyscalls sys)
    {
        try
        {
            var (master, slavePath) = PseudoTerminal.Open("/dev/ptmx");
            using (master)
            using (var slave = PseudoTerminal.OpenSlave(slavePath))
            {
                if (process.ConsoleSize is { } size)
                    PseudoTerminal.SetWindowSize(slave, (ushort)size.Height, (ushort)size.Width);
                if (bindConsole)
                {
                    if (!sys.Exists("/dev/console") || sys.IsDirectory("/dev/console"))
                        sys.CreateFile("/dev/console");
                    sys.Mount(slavePath, "/dev/console", null, MountFlags.Bind);
                }
                channel.Send(new InitMessage { Type = InitMessage.PtyMasterType }, master);
                PseudoTerminal.MakeControlling(slave);
                StdioRedirect.ToTerminal(slave);
            }
        }
        catch (Exception e) when (e is SyscallException or IOException)
        {
            throw new InitStepException("process.terminal", e.Message + " (does the container mount devpts at /dev/pts?)", e);
        }
    }
}
