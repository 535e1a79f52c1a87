using System.Globalization;

namespace SandboxRt.Cgroups.Stats;

/// <summary>
/// The formats of cgroup v2 interface files (Documentation/admin-guide/cgroup-v2.rst, "Interface Files"):
/// single values, "max"-or-number values, flat keyed ("key value" per line) and nested keyed
/// ("MAJ:MIN key=value ..." per line). Malformed content is an error naming the file and the line.
/// </summary>
internal static class CgroupFileParser
{
    public static ulong ParseValue(string text, string path) => ParseNumber(text.Trim(), path, text.Trim());

    /// <summary>A number, or null for "max".</summary>
    public static ulong? ParseMax(string text, string path)
    {
        var value = text.Trim();
        return value == "max" ? null : ParseNumber(value, path, value);
    }

    public static Dictionary<string, ulong> ParseFlatKeyed(string text, string path)
    {
        var values = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var line in Lines(text))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2)
                throw Malformed(path, line);
            values[parts[0]] = ParseNumber(parts[1], path, line);
        }
        return values;
    }

    /// <summary>io.stat: one device per line. Keys other than the six counters (iocost's cost.*) are skipped.</summary>
    public static List<IoDeviceStats> ParseIoStat(string text, string path)
    {
        var devices = new List<IoDeviceStats>();
        foreach (var line in Lines(text))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var device = parts[0].Split(':');
            if (device.Length != 2 || !uint.TryParse(device[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major)
                || !uint.TryParse(device[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minor))
                throw Malformed(path, line);
            var counters = new Dictionary<string, ulong>(StringComparer.Ordinal);
            foreach (var pair in parts.AsSpan(1))
            {
                int eq = pair.IndexOf('=');
                if (eq <= 0)
                    throw Malformed(path, line);
                var key = pair[..eq];
                if (key is "rbytes" or "wbytes" or "rios" or "wios" or "dbytes" or "dios")
                    counters[key] = ParseNumber(pair[(eq + 1)..], path, line);
            }
            devices.Add(new IoDeviceStats(major, minor,
                counters.GetValueOrDefault("rbytes"), counters.GetValueOrDefault("wbytes"),
                counters.GetValueOrDefault("rios"), counters.GetValueOrDefault("wios"),
                counters.GetValueOrDefault("dbytes"), counters.GetValueOrDefault("dios")));
        }
        return devices;
    }

    private static IEnumerable<string> Lines(string text) =>
        text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0);

    private static ulong ParseNumber(string value, string path, string line) =>
        ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : throw Malformed(path, line);

    private static CgroupException Malformed(string path, string line) => new($"parse {path}: unexpected \"{line}\"", path);
}
