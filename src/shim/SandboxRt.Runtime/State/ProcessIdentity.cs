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
            try
            {
                var stat = File.ReadAllText($"/proc/{Pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                return ulong.Parse(fields[19]) == StartTime && (ulong.Parse(fields[6]) & PF_EXITING) != 0;
            }
            catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
            {
                return false;
            }
        }
    }

    /// <summary>True while this very process exists (and is not a zombie).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsAlive
    {
        get
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{Pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                return fields[0] != "Z" && fields[0] != "X" && ulong.Parse(fields[19]) == StartTime;
            }
            catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
            {
                return false;
            }
        }
    }

    private static ulong? ReadStartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return ulong.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19]);
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
