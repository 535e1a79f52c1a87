namespace SandboxRt.Runtime.Storage;

/// <summary>Reads /proc/self/mountinfo: which mount points exist at or under a directory.</summary>
public static class MountTable
{
    /// <summary>Mount points equal to <paramref name="directory"/> or below it, deepest first.</summary>
    public static IReadOnlyList<string> Under(string directory)
    {
        var root = directory.TrimEnd('/');
        var points = new List<string>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            if (fields.Length < 5)
                continue;
            var point = Unescape(fields[4]);
            if (point == root || point.StartsWith(root + "/", StringComparison.Ordinal))
                points.Add(point);
        }
        return points.Distinct().OrderByDescending(p => p.Length).ToList();
    }

    // mountinfo escapes space, tab, newline and backslash as \ooo.
    private static string Unescape(string s)
    {
        if (!s.Contains('\\'))
            return s;
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 3 < s.Length && char.IsAsciiDigit(s[i + 1]))
            {
                sb.Append((char)Convert.ToInt32(s.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                sb.Append(s[i]);
            }
        }
        return sb.ToString();
    }
}
