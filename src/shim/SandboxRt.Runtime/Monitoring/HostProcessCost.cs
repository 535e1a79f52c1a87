namespace SandboxRt.Runtime.Monitoring;

/// <summary>What one host process serving a VM costs the node: CPU time and proportional set size.</summary>
public readonly record struct HostProcessCost(double CpuSeconds, double PssBytes)
{
    private const double ClockTicksPerSecond = 100; // USER_HZ, fixed at 100 on Linux for /proc

    /// <summary>Reads /proc/PID/stat (utime + stime) and /proc/PID/smaps_rollup (Pss); null once the process is gone.</summary>
    public static HostProcessCost? Read(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            double cpu = (ulong.Parse(fields[11]) + ulong.Parse(fields[12])) / ClockTicksPerSecond;
            double pss = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/smaps_rollup"))
                if (line.StartsWith("Pss:", StringComparison.Ordinal))
                    pss = ulong.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024.0;
            return new HostProcessCost(cpu, pss);
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
