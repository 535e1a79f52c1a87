using SandboxRt.Interop;

namespace SandboxRt.Agent;

/// <summary>
/// The agent's log: one line per event on stderr, which is the serial console when the agent is PID 1.
/// Lines carry the guest uptime so that they line up with the kernel's own messages.
/// </summary>
internal static class AgentLog
{
    private static readonly object s_lock = new();
    private static readonly TextWriter s_out = CreateWriter();

    public static bool Debug { get; set; }

    public static void Info(string message) => Write("info", message);
    public static void Warn(string message) => Write("warn", message);
    public static void Error(string message) => Write("error", message);

    public static void Trace(string message)
    {
        if (Debug)
            Write("debug", message);
    }

    private static void Write(string level, string message)
    {
        var uptime = BootClock.Now.TotalSeconds;
        lock (s_lock)
        {
            s_out.Write($"[{uptime,10:F6}] sandboxrt-agent {level}: {message}\n");
            s_out.Flush();
        }
    }

    private static TextWriter CreateWriter()
    {
        // fd 2 itself, not Console.OpenStandardError(): writing through a console stream makes .NET set
        // the terminal up, and that installs a SIGCHLD handler which, in PID 1, reaps every child behind
        // the reaper's back (see ChildReaper).
        var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(2, ownsHandle: false), FileAccess.Write, bufferSize: 0);
        return new StreamWriter(stream, new System.Text.UTF8Encoding(false)) { AutoFlush = false };
    }
}
