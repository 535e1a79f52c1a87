using System.Runtime.InteropServices;
using SandboxRt.Interop;

namespace SandboxRt.Runtime.Relay;

/// <summary>
/// The host end of a container terminal for --console-socket callers (containerd, conmon, Docker -t).
/// runc hands over the master of a pty that lives in the container; ours lives in the guest, so the relay
/// makes a host pty, sends its master over the console socket exactly as runc does (the name as the
/// message, the fd as SCM_RIGHTS), and copies between the host slave and the guest terminal. The slave
/// is put in raw mode (the guest's line discipline is the one that counts) and made the relay's
/// controlling terminal, so that a resize of the master arrives as SIGWINCH.
/// </summary>
internal sealed class HostTerminal : IDisposable
{
    private readonly TerminalMode _raw;

    private HostTerminal(FileStream input, FileStream output, SafeFdHandle slave, TerminalMode raw)
    {
        Input = input;
        Output = output;
        Slave = slave;
        _raw = raw;
    }

    public Stream Input { get; }
    public Stream Output { get; }

    /// <summary>For window-size queries.</summary>
    public SafeFdHandle Slave { get; }

    public static HostTerminal Create(string consoleSocket)
    {
        var (master, slavePath) = PseudoTerminal.Open("/dev/ptmx");
        using (master)
        {
            var slave = PseudoTerminal.OpenSlave(slavePath);
            TerminalMode? raw = null;
            try
            {
                raw = TerminalMode.MakeRaw(slave);
                // The master goes first, and only then does the slave become the controlling terminal: this
                // process closes its copy of the master on the way out, and closing the master of one's own
                // controlling terminal hangs the session up. A console socket that refused the master then
                // killed the relay with SIGHUP before it could say why ("exited before reporting").
                try
                {
                    ConsoleSocket.SendMaster(consoleSocket, master, slavePath);
                }
                catch (Exception e) when (e is SyscallException or ArgumentException)
                {
                    throw new InvalidOperationException($"--console-socket: {e.Message}", e);
                }
                try
                {
                    PseudoTerminal.MakeControlling(slave);
                }
                catch (SyscallException)
                {
                    // not a session leader: resizes are then picked up on the next output instead
                }
                var input = FileDescriptors.ToStream(Descriptors.Duplicate(slave), FileAccess.Read);
                var output = FileDescriptors.ToStream(Descriptors.Duplicate(slave), FileAccess.Write);
                return new HostTerminal(input, output, slave, raw);
            }
            catch
            {
                raw?.Dispose();
                slave.Dispose();
                throw;
            }
        }
    }

    public void Dispose()
    {
        _raw.Dispose();
        Input.Dispose();
        Output.Dispose();
        Slave.Dispose();
    }
}
