namespace SandboxRt.Agent.Containers;

/// <summary>ps-style facts about one guest process, read from /proc.</summary>
internal sealed record GuestProcessInfo(int Pid, int Ppid, uint Uid, string Command, ulong RssBytes, ulong CpuTimeMs)
{
    private const long ClockTicks = 100; // USER_HZ

    public static GuestProcessInfo? Read(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // comm may contain spaces and parentheses: fields start after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            int ppid = int.Parse(fields[1]);
            ulong utime = ulong.Parse(fields[11]), stime = ulong.Parse(fields[12]);
            ulong rssPages = ulong.Parse(fields[21]);
            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline").TrimEnd('\0').Replace('\0', ' ');
            if (cmdline.Length == 0)
                cmdline = "[" + stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')] + "]";
            uint uid = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                {
                    uid = uint.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1]);
                    break;
                }
            return new GuestProcessInfo(pid, ppid, uid, cmdline, rssPages * 4096, (utime + stime) * 1000 / ClockTicks);
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return null; // exited meanwhile
        }
    }
}
