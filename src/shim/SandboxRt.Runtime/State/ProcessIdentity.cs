namespace SandboxRt.Runtime.State;

/// <summary>
/// A pid together with its start time (field 22 of /proc/PID/stat), so that a recorded process is not
/// confused with an unrelated one that later reuses its pid.
/// </summary>
public sealed record ProcessIdentity(int Pid, ulong StartTime)
{
    public static ProcessIdentity? Of(int pid)
    {
        var start = ReadStartTime(pid);
        return start is null ? null : new ProcessIdentity(pid, start.Value);
    }

    /// <summary>
    /// True once this process has begun to exit (PF_EXITING in /proc/PID/stat's flags): killed, its
    /// descriptors may already be closed while it is not a zombie yet.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsExiting
    {
        get
        {
            const ulong PF_EXITING = 0x4;
            return StatFields(Pid) is { } f && ulong.TryParse(f[19], out var start) && start == StartTime
                && ulong.TryParse(f[6], out var flags) && (flags & PF_EXITING) != 0;
        }
    }

    /// <summary>True while this very process exists (and is not a zombie).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsAlive =>
        StatFields(Pid) is { } f && f[0] != "Z" && f[0] != "X" && ulong.TryParse(f[19], out var start) && start == StartTime;

    private static ulong? ReadStartTime(int pid) =>
        StatFields(pid) is { } f && ulong.TryParse(f[19], out var start) ? start : null;

    /// <summary>/proc/PID/stat's fields after the command name (state first, so field N of proc(5) is [N - 3]); null when unreadable or short.</summary>
    private static string[]? StatFields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 19 ? fields : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }
}
