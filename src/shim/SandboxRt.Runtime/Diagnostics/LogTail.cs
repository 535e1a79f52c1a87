namespace SandboxRt.Runtime.Diagnostics;

/// <summary>
/// The last lines of a log file, read from its end (console logs can be large), escaped: the guest writes
/// the console (and can make QEMU and virtiofsd log what it likes), and these lines end up in errors on
/// an operator's terminal (SafeText).
/// </summary>
public static class LogTail
{
    /// <summary>A line longer than this is cut (a guest can print one line of any length).</summary>
    public const int MaxLineLength = 1024;

    public static IReadOnlyList<string> Read(string path, int lines = 20, int maxBytes = 64 * 1024)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            long start = Math.Max(0, stream.Length - maxBytes);
            stream.Seek(start, SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            var text = reader.ReadToEnd();
            var all = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
            if (start > 0 && all.Count > 0)
                all.RemoveAt(0); // a partial first line
            while (all.Count > 0 && all[^1].Length == 0)
                all.RemoveAt(all.Count - 1);
            return all.Skip(Math.Max(0, all.Count - lines)).Select(l => SafeText.Escape(l, MaxLineLength)).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
