using SandboxRt.Runtime.Storage;

namespace SandboxRt.Runtime.Monitoring;

/// <summary>
/// The node's latency and error journal that `sandboxrt monitor` turns into histograms and counters:
/// every CLI, relay and shim process appends one short line per event ("boot 2.051", "create 3.412",
/// "error boot"). Lines are single O_APPEND writes under PIPE_BUF, so concurrent writers never interleave.
/// The file is root-only (0600 in a 0700 directory) and bounded: past <see cref="MaxBytes"/> it is
/// renamed to journal.1 and a new one starts, so a busy node costs at most twice that on /run.
/// Writing is best effort: a journal that cannot be written never fails a container.
/// </summary>
public static class MonitorJournal
{
    public const long MaxBytes = 1024 * 1024;
    private const string DefaultPath = "/run/sandboxrt-monitor/journal";

    /// <summary>SANDBOXRT_MONITOR_JOURNAL moves it (tests run their own).</summary>
    public static string Path => Environment.GetEnvironmentVariable("SANDBOXRT_MONITOR_JOURNAL") is { Length: > 0 } p ? p : DefaultPath;

    public static void Latency(JournalKind kind, TimeSpan elapsed) =>
        Append(FormattableString.Invariant($"{kind.ToString().ToLowerInvariant()} {elapsed.TotalSeconds:F3}\n"));

    public static void Error(string phase) => Append($"error {JournalLine.Sanitize(phase)}\n");

    private static void Append(string line)
    {
        try
        {
            var path = Path;
            var directory = System.IO.Path.GetDirectoryName(path)!;
            if (!Directory.Exists(directory))
                PrivateFiles.CreateDirectory(directory);
            var info = new FileInfo(path);
            if (info.Exists && info.Length > MaxBytes)
                File.Move(path, path + ".1", overwrite: true);
            using var stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Append,
                Access = FileAccess.Write,
                Share = FileShare.ReadWrite,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            stream.Write(System.Text.Encoding.ASCII.GetBytes(line));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
