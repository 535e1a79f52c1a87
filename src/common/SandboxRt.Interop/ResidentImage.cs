namespace SandboxRt.Interop;

/// <summary>
/// Unmaps the clean pages of a process's own executable that it has faulted in, so that an idle process
/// stops holding (and being charged, in PSS) the code and read-only data its start-up and its last burst
/// of work touched: for a NativeAOT relay that was 14 of its 16 MiB binary, most of it never run again
/// while it idles. madvise(MADV_DONTNEED) only drops this process's page-table entries: the pages stay
/// in the page cache for every other process mapping the file (the next CLI call reads nothing from
/// disk), and what this process runs next faults back in from there.
/// Only mappings that cannot hold a private copy are touched: no write permission and, per
/// /proc/self/smaps, no anonymous page (RELRO's relocated pages are anonymous and would otherwise be
/// reset to the file's unrelocated bytes). A non-writable mapping cannot gain a private page later.
/// </summary>
public static class ResidentImage
{
    /// <summary>Releases the clean resident pages of <paramref name="path"/>'s mappings; returns how many KiB were resident in them.</summary>
    public static long ReleaseClean(string path) => Release(name => name == path || name == path + " (deleted)", path);

    /// <summary>
    /// The same for every file the process maps (its binary and the libraries it loaded: libcrypto and
    /// libssl are 3.5 MiB resident in a relay, shared with nobody on an otherwise idle host).
    /// </summary>
    public static long ReleaseCleanFiles() => Release(name => name.StartsWith('/'), "mapped files");

    private static long Release(Func<string, bool> which, string what)
    {
        long released = 0;
        foreach (var mapping in ReadMappings(which))
        {
            if (mapping.Writable || mapping.AnonymousKib != 0 || mapping.ResidentKib == 0)
                continue;
            Check.Io(Interop.MadviseDontNeed(mapping.Start, mapping.Length), "madvise", $"0x{mapping.Start:x}", "MADV_DONTNEED", mapping.Name);
            released += mapping.ResidentKib;
        }
        return released;
    }

    private sealed record Mapping(nint Start, nint Length, bool Writable, string Name)
    {
        public long ResidentKib { get; set; }
        public long AnonymousKib { get; set; }
    }

    /// <summary>The mappings in /proc/self/smaps whose path <paramref name="which"/> selects.</summary>
    private static List<Mapping> ReadMappings(Func<string, bool> which)
    {
        var mappings = new List<Mapping>();
        Mapping? current = null;
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            int dash = line.IndexOf('-'), space = line.IndexOf(' ');
            if (dash > 0 && dash < space && char.IsAsciiHexDigit(line[0])) // a mapping's line, not one of its "Key: value" lines
            {
                // "start-end perms offset dev inode   pathname"
                var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
                current = null;
                if (fields.Length < 6 || !which(fields[5]))
                    continue;
                var range = fields[0].Split('-');
                long start = Convert.ToInt64(range[0], 16), end = Convert.ToInt64(range[1], 16);
                current = new Mapping((nint)start, (nint)(end - start), fields[1].Contains('w'), fields[5]);
                mappings.Add(current);
            }
            else if (current is not null && line.StartsWith("Rss:", StringComparison.Ordinal))
                current.ResidentKib = Kib(line);
            else if (current is not null && line.StartsWith("Anonymous:", StringComparison.Ordinal))
                current.AnonymousKib = Kib(line);
        }
        return mappings;
    }

    private static long Kib(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
}
