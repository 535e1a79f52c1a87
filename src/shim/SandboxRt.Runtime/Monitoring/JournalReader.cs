namespace SandboxRt.Runtime.Monitoring;

/// <summary>
/// Follows the journal from where the monitor started: each <see cref="ReadNew"/> returns the complete
/// lines appended since the last call (a rotation starts it over on the new file). Reads at most
/// <see cref="MonitorJournal.MaxBytes"/> per call, so a flood cannot make a scrape unbounded.
/// </summary>
public sealed class JournalReader(string path)
{
    private long _offset = new FileInfo(path) is { Exists: true } f ? f.Length : 0;
    private ulong _inode = Inode(path);

    public IReadOnlyList<JournalLine> ReadNew()
    {
        var lines = new List<JournalLine>();
        try
        {
            var inode = Inode(path);
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (inode != _inode || stream.Length < _offset)
            {
                _inode = inode;
                _offset = 0;
            }
            stream.Seek(_offset, SeekOrigin.Begin);
            var buffer = new byte[(int)Math.Min(MonitorJournal.MaxBytes, Math.Max(0, stream.Length - _offset))];
            int read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            int end = Array.LastIndexOf(buffer, (byte)'\n', Math.Max(0, read - 1));
            if (read == 0 || end < 0)
                return lines;
            _offset += end + 1;
            foreach (var text in System.Text.Encoding.ASCII.GetString(buffer, 0, end).Split('\n'))
                if (JournalLine.Parse(text) is { } line)
                    lines.Add(line);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return lines;
    }

    private static ulong Inode(string path)
    {
        try
        {
            return SandboxRt.Interop.FileIdentity.Of(path).Inode;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
