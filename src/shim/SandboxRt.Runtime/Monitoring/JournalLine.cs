namespace SandboxRt.Runtime.Monitoring;

/// <summary>One parsed journal line: a latency in seconds, or an error in a phase.</summary>
public readonly record struct JournalLine(string Kind, double Seconds, string? ErrorPhase)
{
    private const int MaxPhaseLength = 32;

    /// <summary>Parses "boot 2.051", "create 3.4" or "error boot"; anything else (a torn or foreign line) is null.</summary>
    public static JournalLine? Parse(string line)
    {
        var parts = line.Split(' ');
        if (parts.Length != 2)
            return null;
        if (parts[0] == "error")
            return parts[1].Length is > 0 and <= MaxPhaseLength && Sanitize(parts[1]) == parts[1] ? new JournalLine("error", 0, parts[1]) : null;
        if (parts[0] is not ("boot" or "create"))
            return null;
        return double.TryParse(parts[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var s) && s >= 0 && double.IsFinite(s)
            ? new JournalLine(parts[0], s, null)
            : null;
    }

    /// <summary>A phase name as a label value: lower-case letters, digits and '_' only, at most 32.</summary>
    public static string Sanitize(string phase)
    {
        var chars = phase.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').Take(MaxPhaseLength).ToArray();
        return chars.Length == 0 ? "unknown" : new string(chars);
    }
}
