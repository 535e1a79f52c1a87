namespace SandboxRt.Runtime.Configuration;

/// <summary>
/// What keys made from configured files (VM templates, VM caches) record of each: the size and
/// modification time of the file a path names, its symlinks followed, so that a guest image rewritten in
/// place behind a link (a packaged vmlinux -> vmlinux-VERSION) makes a new key, as a link pointed elsewhere
/// does. The link's own size and time (what both keys recorded until 2026-12-06) saw only the second.
/// </summary>
public static class FileStamp
{
    /// <summary>
    /// "SIZE MTIME-TICKS" of what <paramref name="path"/> names, or "missing" (no file, a dangling link, a
    /// directory, a loop of links): never an exception, the file's user reports what is wrong with it.
    /// </summary>
    public static string Of(string path)
    {
        try
        {
            var info = new FileInfo(path);
            var target = info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo;
            return target is { Exists: true } ? $"{target.Length} {target.LastWriteTimeUtc.Ticks}" : "missing";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return "missing";
        }
    }
}
