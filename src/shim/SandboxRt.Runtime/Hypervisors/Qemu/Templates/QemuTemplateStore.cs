using SandboxRt.Interop;

namespace SandboxRt.Runtime.Hypervisors.Qemu.Templates;

/// <summary>The template directory: complete templates by key, their build locks, listing and removal.</summary>
internal sealed class QemuTemplateStore(string directory)
{
    public string Directory { get; } = Path.GetFullPath(directory);

    public void Create() => Storage.PrivateFiles.CreateDirectory(Directory);

    public string LockFile(string key) => Path.Combine(Directory, key + ".lock");

    /// <summary>Where the last failed build of <paramref name="key"/> is recorded: its reason, at the file's time.</summary>
    public string FailureFile(string key) => Path.Combine(Directory, key + ".failed");

    /// <summary>
    /// Records that building <paramref name="key"/> failed now, and why (the first 2000 characters). Best
    /// effort: a record that cannot be written only means the next launch tries the build again.
    /// </summary>
    public void RecordFailure(string key, string reason)
    {
        try
        {
            Storage.PrivateFiles.WriteAllText(FailureFile(key), reason.Length > MaxReason ? reason[..MaxReason] : reason);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The failure recorded for <paramref name="key"/> less than <paramref name="within"/> ago, or null.</summary>
    public TemplateBuildFailure? RecentFailure(string key, TimeSpan within)
    {
        try
        {
            using var file = new FileStream(FailureFile(key), new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Options = FileOptions.None });
            var age = DateTime.UtcNow - File.GetLastWriteTimeUtc(file.SafeFileHandle);
            if (age >= within)
                return null;
            var bytes = new byte[MaxReason * 4];
            var length = file.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            return new TemplateBuildFailure(System.Text.Encoding.UTF8.GetString(bytes, 0, length), age < TimeSpan.Zero ? TimeSpan.Zero : age);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // none recorded (FileNotFoundException), or unreadable: try the build
        }
    }

    /// <summary>Forgets a recorded failure of <paramref name="key"/> (its build succeeded, or it was removed).</summary>
    public void ForgetFailure(string key) => File.Delete(FailureFile(key));

    /// <summary>The complete template for <paramref name="key"/>, or null.</summary>
    public QemuTemplate? Find(string key)
    {
        var template = new QemuTemplate(key, Path.Combine(Directory, key));
        return template.IsComplete ? template : null;
    }

    public IEnumerable<QemuTemplate> List() =>
        System.IO.Directory.Exists(Directory)
            ? System.IO.Directory.EnumerateDirectories(Directory).Select(d => new QemuTemplate(Path.GetFileName(d), d)).Where(t => t.IsComplete && IsKey(t.Key)).OrderBy(t => t.Key, StringComparer.Ordinal)
            : [];

    /// <summary>Removes one template, waiting for a build of it to finish.</summary>
    public bool Remove(string key)
    {
        if (!IsKey(key))
            throw new ArgumentException($"template '{key}': a key is 16 lower-case hex digits (sandboxrt template list)");
        var dir = Path.Combine(Directory, key);
        if (!System.IO.Directory.Exists(dir))
            return false;
        using var building = FileLock.Acquire(LockFile(key), TimeSpan.FromSeconds(5));
        Storage.PrivateFiles.RemoveTree(dir);
        File.Delete(LockFile(key));
        ForgetFailure(key);
        return true;
    }

    /// <summary>
    /// Removes the templates built from a QEMU, kernel or initrd that is no longer what its path holds
    /// (a rebuilt guest image, an upgraded QEMU): no request can match their keys again; then the lock
    /// files no template has (<see cref="RemoveOrphanLocks"/>). The first lines
    /// of a template's recorded inputs are those files' identities (QemuTemplateKey). A template being
    /// built or removed elsewhere (its lock taken) is left for a later build.
    /// </summary>
    public IReadOnlyList<string> RemoveStale()
    {
        var removed = new List<string>();
        foreach (var template in List())
        {
            string inputs;
            try
            {
                inputs = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(template.InfoFile))?["inputs"]?.GetValue<string>() ?? "";
            }
            catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidOperationException)
            {
                continue;
            }
            if (!QemuTemplateKey.InputsChanged(inputs))
                continue;
            try
            {
                Remove(template.Key);
                removed.Add(template.Key);
            }
            catch (Exception e) when (e is TimeoutException or IOException)
            {
            }
        }
        RemoveOrphanLocks();
        return removed;
    }

    /// <summary>
    /// Removes the lock files of keys that have no template and that no process holds (a build that
    /// failed before its builder could remove its own, a template directory removed by hand); returns how
    /// many. A lock held elsewhere (a build under way) is left alone, and a process that opened a lock file
    /// this removes takes the lock again on the new file (FileLock).
    /// </summary>
    public int RemoveOrphanLocks()
    {
        if (!System.IO.Directory.Exists(Directory))
            return 0;
        int removed = 0;
        foreach (var lockFile in System.IO.Directory.EnumerateFiles(Directory, "*.lock"))
        {
            var key = Path.GetFileNameWithoutExtension(lockFile);
            if (!IsKey(key) || System.IO.Directory.Exists(Path.Combine(Directory, key)))
                continue;
            try
            {
                using var unused = FileLock.Acquire(lockFile, TimeSpan.Zero);
                if (System.IO.Directory.Exists(Path.Combine(Directory, key)))
                    continue;
                File.Delete(lockFile);
                removed++;
            }
            catch (Exception e) when (e is TimeoutException or IOException)
            {
            }
        }
        return removed;
    }

    /// <summary>Removes the failure records older than <paramref name="retryAfter"/>: no launch reads them any more.</summary>
    public int RemoveExpiredFailures(TimeSpan retryAfter)
    {
        if (!System.IO.Directory.Exists(Directory))
            return 0;
        int removed = 0;
        foreach (var record in System.IO.Directory.EnumerateFiles(Directory, "*.failed"))
        {
            if (!IsKey(Path.GetFileNameWithoutExtension(record)) || DateTime.UtcNow - File.GetLastWriteTimeUtc(record) < retryAfter)
                continue;
            File.Delete(record);
            removed++;
        }
        return removed;
    }

    private const int MaxReason = 2000;

    private static bool IsKey(string key) => key.Length == 16 && key.All(c => char.IsAsciiHexDigitLower(c) || char.IsAsciiDigit(c));
}
