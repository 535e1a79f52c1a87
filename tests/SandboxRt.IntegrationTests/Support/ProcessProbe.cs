namespace SandboxRt.IntegrationTests.Support;

/// <summary>What /proc says of a host process: its threads' nice values, whether it still runs.</summary>
internal static class ProcessProbe
{
    /// <summary>The nice value of every thread of <paramref name="pid"/> (field 19 of /proc/PID/task/TID/stat); none once it is gone.</summary>
    public static List<int> ThreadNices(int pid)
    {
        var nices = new List<int>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                nices.Add(int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16]));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // a thread or the process ended meanwhile
        }
        Assert.NotEmpty(nices);
        return nices;
    }

    /// <summary>True while <paramref name="pid"/> exists and is not a zombie (an orphan's parent may be slow to reap it).</summary>
    public static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return pid > 0 && stat[(stat.LastIndexOf(')') + 2)..][0] is not ('Z' or 'X');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // gone
        }
    }
}
