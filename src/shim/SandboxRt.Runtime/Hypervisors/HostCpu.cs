using System.Globalization;

namespace SandboxRt.Runtime.Hypervisors;

/// <summary>Facts about the host CPU the guest's kernel needs.</summary>
public static class HostCpu
{
    /// <summary>
    /// The host's TSC rate in kHz (/proc/cpuinfo "cpu MHz"), or null when unknown. A TCG guest's TSC ticks
    /// at the host's rate; a microvm guest has no HPET or ACPI PM timer to calibrate it against, and its
    /// PIT calibration fails now and then under emulation (measured: 3 boots in 10 hung in "could not
    /// calculate TSC khz"), so the driver tells it the rate instead (tsc_early_khz).
    /// </summary>
    public static int? TscKhz(string cpuinfo = "/proc/cpuinfo")
    {
        if (!File.Exists(cpuinfo))
            return null;
        foreach (var line in File.ReadLines(cpuinfo))
        {
            if (!line.StartsWith("cpu MHz", StringComparison.Ordinal))
                continue;
            var value = line[(line.IndexOf(':') + 1)..].Trim();
            return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var mhz) && mhz > 0 ? (int)(mhz * 1000) : null;
        }
        return null;
    }
}
