using SandboxRt.Interop;

namespace SandboxRt.IntegrationTests.Support;

/// <summary>
/// Walks a state tree as `ls -lR` shows it, by descriptor, listing every entry the runtime made with its
/// mode. Mount points are the roots of mounted container content (the sources' own inodes) and are
/// neither listed nor entered, except the shared directory's skeleton (mounts/ and shared/).
/// </summary>
internal static class PrivateTree
{
    private const uint S_IFMT = 0xF000, S_IFSOCK = 0xC000;

    public static IEnumerable<(string Path, uint Mode)> Walk(string root, IReadOnlySet<string> mountPoints, bool socketsToo = true)
    {
        if (!Directory.Exists(root))
            yield break;
        using var dir = PinnedDirectory.Open(root);
        yield return (root, dir.Status().Mode);
        foreach (var entry in Entries(dir, root, mountPoints, socketsToo))
            yield return entry;
    }

    private static IEnumerable<(string Path, uint Mode)> Entries(PinnedDirectory dir, string path, IReadOnlySet<string> mountPoints, bool socketsToo)
    {
        foreach (var entry in dir.Entries())
        {
            var child = path + "/" + entry.Name;
            bool skeleton = entry.Name is "mounts" or "shared" && mountPoints.Contains(child);
            if (mountPoints.Contains(child) && !skeleton)
                continue;
            var mode = dir.Status(entry.Name).Mode;
            if (!socketsToo && (mode & S_IFMT) == S_IFSOCK)
                continue;
            yield return (child, mode);
            if (entry.IsDirectory)
            {
                using var sub = dir.OpenDirectory(entry.Name);
                foreach (var e in Entries(sub, child, mountPoints, socketsToo))
                    yield return e;
            }
        }
    }
}
