namespace SandboxRt.Oci.Validation;

/// <summary>
/// The kernel's list format, as linux.resources.cpu.cpus and .mems and cpuset.cpus use it: numbers and
/// ranges separated by commas ("0-3,8,10-11"; the kernel's cpulist_parse). Bounded: no number above
/// <see cref="MaxNumber"/> (the kernel's largest NR_CPUS), so a list is never a large set.
/// </summary>
public static class CpuList
{
    public const int MaxNumber = 8191;

    /// <summary>The numbers of <paramref name="list"/>, sorted; null with <paramref name="error"/> when it is not a list.</summary>
    public static SortedSet<int>? TryParse(string list, out string? error)
    {
        var numbers = new SortedSet<int>();
        error = null;
        foreach (var raw in list.Trim().Split(','))
        {
            var item = raw.Trim();
            var bounds = item.Split('-');
            if (bounds.Length > 2 || !TryNumber(bounds[0], out int first) || !TryNumber(bounds[^1], out int last))
            {
                error = $"\"{Shown(list)}\" is not a list of numbers and ranges such as 0-3,8 (each at most {MaxNumber})";
                return null;
            }
            if (last < first)
            {
                error = $"\"{Shown(list)}\": the range {item} ends before it starts";
                return null;
            }
            for (int n = first; n <= last; n++)
                numbers.Add(n);
        }
        return numbers;
    }

    /// <summary>The list of <paramref name="numbers"/>, ranges joined ("0-3,8"); "" for none.</summary>
    public static string Format(IEnumerable<int> numbers)
    {
        var parts = new List<string>();
        int? start = null, previous = null;
        foreach (var n in numbers.Distinct().Order())
        {
            if (previous is { } p && n == p + 1)
            {
                previous = n;
                continue;
            }
            if (start is { } s)
                parts.Add(s == previous ? $"{s}" : $"{s}-{previous}");
            start = previous = n;
        }
        if (start is { } last)
            parts.Add(last == previous ? $"{last}" : $"{last}-{previous}");
        return string.Join(',', parts);
    }

    private static bool TryNumber(string text, out int value) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value) && value <= MaxNumber;

    private static string Shown(string list) => list.Length <= 64 ? list : list[..64] + "...";
}
