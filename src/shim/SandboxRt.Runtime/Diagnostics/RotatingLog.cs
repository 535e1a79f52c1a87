namespace SandboxRt.Runtime.Diagnostics;

/// <summary>
/// A log that never holds more than <c>maxBytes</c> on disk: FILE and FILE.1, each at most half of it.
/// When FILE would grow past its half it becomes FILE.1 (replacing the older one) and a new FILE starts,
/// so the newest output always survives and a guest printing forever costs the host a fixed amount.
/// Files are 0600: a console can carry secrets.
/// </summary>
public sealed class RotatingLog : IDisposable
{
    /// <summary>The smallest limit accepted (two files of 32 KiB: a boot's console fits).</summary>
    public const long MinimumBytes = 64 * 1024;
    private readonly long _half;
    private FileStream _current;
    private long _length;

    public RotatingLog(string path, long maxBytes)
    {
        if (maxBytes < MinimumBytes)
            throw new ArgumentOutOfRangeException(nameof(maxBytes), $"{path}: a log limit of {maxBytes} bytes is below {MinimumBytes}");
        FilePath = path;
        _half = maxBytes / 2;
        File.Delete(PreviousPath(path));
        _current = Open(path);
    }

    public string FilePath { get; }

    /// <summary>Where the older half of <paramref name="path"/> goes.</summary>
    public static string PreviousPath(string path) => path + ".1";

    public void Write(ReadOnlySpan<byte> data)
    {
        if (data.Length > _half)
            data = data[^(int)_half..];
        if (_length + data.Length > _half)
        {
            _current.Dispose();
            File.Move(FilePath, PreviousPath(FilePath), overwrite: true);
            _current = Open(FilePath);
            _length = 0;
        }
        _current.Write(data);
        _length += data.Length;
    }

    public void Dispose() => _current.Dispose();

    private static FileStream Open(string path) => new(path, new FileStreamOptions
    {
        Mode = FileMode.Create,
        Access = FileAccess.Write,
        Share = FileShare.ReadWrite | FileShare.Delete,
        BufferSize = 0, // readers (boot errors, --timings) see every byte as soon as it is written
        UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
    });
}
