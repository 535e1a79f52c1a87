namespace SandboxRt.Runtime.Diagnostics;

/// <summary>
/// The last lines of a log file, read from its end (console logs can be large), escaped: the guest writes
/// the console (and can make QEMU and virtiofsd log what it likes), and these lines end up in errors on
/// an operator's terminal (SafeText).
/// A log kept by <see cref="RotatingLog"/> continues from FILE.1 into FILE: when FILE alone is shorter
/// than asked for, the end of FILE.1 comes first.
/// </summary>
public static class LogTail
{
    /// <summary>A line longer than this is cut (a guest can print one line of any length).</summary>
    public const int MaxLineLength = 1024;

    public static IReadOnlyList<string> Read(string path, int lines = 20, int maxBytes = 64 * 1024)
    {
        var current = ReadEnd(path, maxBytes, out bool currentCut);
        bool cut = currentCut;
        var bytes = current;
        if (!currentCut && current.Length < maxBytes)
        {
            var previous = ReadEnd(RotatingLog.PreviousPath(path), maxBytes - current.Length, out bool previousCut);
            if (previous.Length > 0)
            {
                bytes = [.. previous, .. current];
                cut = previousCut;
            }
        }
        var all = System.Text.Encoding.UTF8.GetString(bytes).Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        if (cut && all.Count > 0)
            all.RemoveAt(0); // a partial first line
        while (all.Count > 0 && all[^1].Length == 0)
            all.RemoveAt(all.Count - 1);
        return all.Skip(Math.Max(0, all.Count - lines)).Select(l => SafeText.Escape(l, MaxLineLength)).ToList();
    }

    /// <summary>Up to the last <paramref name="maxBytes"/> of the file (empty when it is missing); <paramref name="cut"/> when it is longer.</summary>
    private static byte[] ReadEnd(string path, int maxBytes, out bool cut)
    {
        cut = false;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            long start = Math.Max(0, stream.Length - maxBytes);
            // One byte more when cut: a newline just before the range means its first line is whole.
            long from = Math.Max(0, start - 1);
            stream.Seek(from, SeekOrigin.Begin);
            var buffer = new byte[stream.Length - from];
            int n = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            if (start == 0)
                return buffer[..n];
            cut = n == 0 || buffer[0] != (byte)'\n';
            return n == 0 ? [] : buffer[1..n];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
