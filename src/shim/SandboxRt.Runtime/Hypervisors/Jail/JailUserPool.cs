using System.Text;
using SandboxRt.Interop;

namespace SandboxRt.Runtime.Hypervisors.Jail;

/// <summary>
/// Hands out one uid (with the gid of the same number) per sandbox from a configured range, so that no
/// two VMMs share a user: a compromised QEMU cannot signal, ptrace or read the files of another. A
/// reservation is a file named after the uid in a root-only directory (it must survive the CLI process
/// that made it: the VM outlives `create`), holding the owner: the sandbox's state directory.
/// It is released on delete by its owner only. A reservation whose owner directory is gone and whose
/// uid no process runs as is stale (its sandbox died without delete) and is taken over. Reserving and
/// reclaiming happen under a lock on the directory, so two sandboxes never both reclaim one uid.
/// </summary>
public sealed class JailUserPool(string directory, uint first, uint count)
{
    /// <summary>Shared by every sandboxrt process on the host (CLI roots and shims alike).</summary>
    public const string DefaultDirectory = "/run/sandboxrt/jail-users";
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(10);

    public string Directory { get; } = directory;

    public JailUser Reserve(string owner)
    {
        if (count == 0)
            throw new HypervisorException("jail_uid_count is 0: no user ids to give a VMM");
        using var _ = Lock();
        uint start = (uint)(Hash(owner) % count);
        for (uint i = 0; i < count; i++)
        {
            uint uid = first + (start + i) % count;
            if (TryCreate(uid, owner))
                return new JailUser(uid, uid);
            if (IsStale(uid))
            {
                File.Delete(PathOf(uid));
                if (TryCreate(uid, owner))
                    return new JailUser(uid, uid);
            }
        }
        throw new HypervisorException($"every user id from {first} to {first + count - 1} (jail_uid_first, jail_uid_count) is reserved in {Directory}");
    }

    /// <summary>Frees <paramref name="user"/> if <paramref name="owner"/> still holds it (a reclaimed id belongs to someone else now).</summary>
    public void Release(JailUser user, string owner) => Release(Directory, user.Uid, owner);

    public static void Release(string directory, uint uid, string owner)
    {
        if (!System.IO.Directory.Exists(directory))
            return;
        using var _ = new JailUserPool(directory, 0, 0).Lock();
        var path = Path.Combine(directory, uid.ToString());
        if (ReadOwner(path) == owner)
            File.Delete(path);
    }

    /// <summary>The owner recorded for <paramref name="uid"/>, or null when it is free.</summary>
    public string? OwnerOf(uint uid) => ReadOwner(PathOf(uid));

    private FileLock Lock()
    {
        System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return FileLock.Acquire(Path.Combine(Directory, ".lock"), LockTimeout);
    }

    private string PathOf(uint uid) => Path.Combine(Directory, uid.ToString());

    private bool TryCreate(uint uid, string owner)
    {
        try
        {
            using var file = new FileStream(PathOf(uid), new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            file.Write(Encoding.UTF8.GetBytes(owner + "\n"));
            return true;
        }
        catch (IOException) when (File.Exists(PathOf(uid)))
        {
            return false;
        }
    }

    private bool IsStale(uint uid)
    {
        var owner = ReadOwner(PathOf(uid));
        return owner is not null && !System.IO.Directory.Exists(owner) && !ProcessesRunAs(uid);
    }

    private static string? ReadOwner(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read);
            var buffer = new byte[4096];
            int n = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            return Encoding.UTF8.GetString(buffer, 0, n).TrimEnd('\n');
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>True when some process on the host has <paramref name="uid"/> as its real, effective or saved uid.</summary>
    public static bool ProcessesRunAs(uint uid)
    {
        var text = uid.ToString();
        foreach (var dir in System.IO.Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _))
                continue;
            try
            {
                foreach (var line in File.ReadLines(Path.Combine(dir, "status")))
                {
                    if (!line.StartsWith("Uid:", StringComparison.Ordinal))
                        continue;
                    if (line[4..].Split('\t', StringSplitOptions.RemoveEmptyEntries).Contains(text))
                        return true;
                    break;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // the process ended while we looked
            }
        }
        return false;
    }

    private static ulong Hash(string value)
    {
        ulong hash = 14695981039346656037; // FNV-1a: stable across processes, unlike string.GetHashCode
        foreach (var b in Encoding.UTF8.GetBytes(value))
            hash = (hash ^ b) * 1099511628211;
        return hash;
    }

    /// <summary>
    /// Writes what <see cref="ReleaseRecorded"/> needs into <paramref name="recordPath"/> (in the sandbox's
    /// state directory): the pool, the uid and the owner, so a later process (delete, crash clean-up) frees it.
    /// </summary>
    public void WriteRecord(string recordPath, JailUser user, string owner)
    {
        using var file = new FileStream(recordPath, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        file.Write(Encoding.UTF8.GetBytes($"{Directory}\n{user.Uid}\n{owner}\n"));
    }

    /// <summary>Frees the uid recorded at <paramref name="recordPath"/> (if its owner still holds it) and deletes the record.</summary>
    public static void ReleaseRecorded(string recordPath)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(recordPath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return;
        }
        if (lines.Length >= 3 && uint.TryParse(lines[1], out var uid))
            Release(lines[0], uid, lines[2]);
        File.Delete(recordPath);
    }
}
