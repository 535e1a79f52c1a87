namespace SandboxRt.Oci.Validation;

/// <summary>
/// Resolves a path inside a root file system the way the kernel would after chroot, without ever
/// leaving the root: symbolic links are followed component by component, absolute link targets restart
/// at the root (so /etc/resolv.conf -> /run/x stays inside), and a ".." that would climb above the
/// root, whether written in the path or reached through a relative link, is refused rather than
/// clamped, so that a hostile bundle gets an error instead of a surprising target.
/// Components that do not exist yet are kept as written (they are created later).
/// </summary>
public static class SecureJoin
{
    private const int MaxLinks = 255;

    public static string Resolve(string root, string unsafePath)
    {
        // Each pending component remembers the link it came from (null: written in the path itself).
        var pending = new LinkedList<(string Part, string? Link)>(Split(unsafePath).Select(p => (p, (string?)null)));
        var resolved = new List<string>();
        int links = 0;
        while (pending.First is { } node)
        {
            var (part, link) = node.Value;
            pending.RemoveFirst();
            if (part is "" or ".")
                continue;
            if (part == "..")
            {
                if (resolved.Count == 0)
                    throw new PathEscapeException(unsafePath, link is null
                        ? "climbs above the root file system ('..')"
                        : $"the symbolic link {link} points outside the root file system");
                resolved.RemoveAt(resolved.Count - 1);
                continue;
            }
            var here = "/" + string.Join('/', resolved.Append(part));
            string? target = LinkTarget(Path.Combine(root, here.TrimStart('/')));
            if (target is null)
            {
                resolved.Add(part);
                continue;
            }
            if (++links > MaxLinks)
                throw new PathEscapeException(unsafePath, "too many levels of symbolic links");
            if (target.StartsWith('/'))
                resolved.Clear();
            var description = $"{here} -> {target}";
            var linkParts = Split(target);
            for (int i = linkParts.Length - 1; i >= 0; i--)
                pending.AddFirst((linkParts[i], (string?)description));
        }
        return resolved.Count == 0 ? root : Path.Combine(root, string.Join('/', resolved));
    }

    private static string[] Split(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries);

    private static string? LinkTarget(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
