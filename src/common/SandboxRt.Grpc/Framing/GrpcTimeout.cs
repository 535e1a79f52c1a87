using System.Globalization;

namespace SandboxRt.Grpc.Framing;

/// <summary>The grpc-timeout header: at most 8 ASCII digits followed by a unit (H, M, S, m, u, n).</summary>
public static class GrpcTimeout
{
    public const string HeaderName = "grpc-timeout";

    public static bool TryParse(string? value, out TimeSpan timeout)
    {
        timeout = default;
        if (string.IsNullOrEmpty(value) || value.Length < 2 || value.Length > 9)
            return false;
        if (!long.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out long amount))
            return false;
        long ticks;
        switch (value[^1])
        {
            case 'H': ticks = amount * TimeSpan.TicksPerHour; break;
            case 'M': ticks = amount * TimeSpan.TicksPerMinute; break;
            case 'S': ticks = amount * TimeSpan.TicksPerSecond; break;
            case 'm': ticks = amount * TimeSpan.TicksPerMillisecond; break;
            case 'u': ticks = amount * 10; break;
            case 'n': ticks = amount / 100; break;
            default: return false;
        }
        timeout = TimeSpan.FromTicks(ticks);
        return true;
    }

    /// <summary>Formats a timeout in the coarsest unit that keeps it within 8 digits.</summary>
    public static string Format(TimeSpan timeout)
    {
        long ms = Math.Max(0, (long)Math.Ceiling(timeout.TotalMilliseconds));
        if (ms < 100_000_000)
            return ms.ToString(CultureInfo.InvariantCulture) + "m";
        long seconds = (long)Math.Ceiling(timeout.TotalSeconds);
        if (seconds < 100_000_000)
            return seconds.ToString(CultureInfo.InvariantCulture) + "S";
        return Math.Min(99_999_999, (long)Math.Ceiling(timeout.TotalHours)).ToString(CultureInfo.InvariantCulture) + "H";
    }
}
