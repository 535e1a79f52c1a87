namespace SandboxRt.Runtime.Hypervisors.Jail;

/// <summary>
/// The file system a jailed program sees, planned on the host: every path it opens appears at the same
/// path in the jail. Symlinks on the way are recreated as symlinks (so /lib64/ld-linux-x86-64.so.2
/// still leads through /usr/lib64 to /usr/lib/x86_64-linux-gnu), and what they lead to is bound
/// read-only. Binds are of real paths with no symlink above them, which the jailer checks again.
/// Everything is planned from root-owned host paths (binaries, libraries, the guest image): nothing
/// here is a path the guest could have written.
/// </summary>
public sealed class JailLayout
{
    private const int MaxSymlinks = 40; // ELOOP's limit in the kernel
    private readonly List<(string Target, string Link)> _symlinks = [];
    private readonly HashSet<string> _links = new(StringComparer.Ordinal);
    private readonly List<string> _binds = [];
    private readonly List<string> _writable = [];

    /// <summary>Symlinks to make in the jail: those inside a bound directory come with it.</summary>
    public IReadOnlyList<(string Target, string Link)> Symlinks =>
        _symlinks.Where(s => !_binds.Concat(_writable).Any(b => s.Link.StartsWith(b + "/", StringComparison.Ordinal))).ToList();

    /// <summary>Read-only binds, each at its own path; none lies inside another.</summary>
    public IReadOnlyList<string> Binds => _binds;

    /// <summary>A layout holding what this one holds, to be added to independently.</summary>
    public JailLayout Copy()
    {
        var copy = new JailLayout();
        copy._symlinks.AddRange(_symlinks);
        copy._links.UnionWith(_links);
        copy._binds.AddRange(_binds);
        copy._writable.AddRange(_writable);
        return copy;
    }

    /// <summary>Writable recursive binds (a directory the jailed program serves to the guest).</summary>
    public IReadOnlyList<string> WritableBinds => _writable;

    /// <summary>Makes the directory <paramref name="path"/> reachable read-write, with what is mounted under it.</summary>
    public string ExposeWritable(string path)
    {
        var real = Walk(path);
        if (_binds.Any(b => real.StartsWith(b + "/", StringComparison.Ordinal) || b.StartsWith(real + "/", StringComparison.Ordinal) || b == real))
            throw new HypervisorException($"{real}: a writable bind cannot share a tree with the read-only ones");
        _writable.Add(real);
        return real;
    }

    /// <summary>Makes <paramref name="path"/> (a file or a directory) reachable in the jail; returns its real path.</summary>
    public string Expose(string path)
    {
        var real = Walk(path);
        AddBind(real);
        return real;
    }

    /// <summary>Makes the directory holding <paramref name="path"/> reachable (libraries: one bind for a whole directory of them).</summary>
    public void ExposeDirectoryOf(string path)
    {
        var real = Walk(path);
        AddBind(Path.GetDirectoryName(real)!);
    }

    /// <summary>
    /// An executable with its ELF interpreter and libraries (<see cref="ElfDependencies.Resolve"/>). The
    /// libraries' directories are bound whole (one mount instead of dozens; what else is in them is the
    /// distribution's public libraries, which QEMU's modules, loaded later with dlopen, also come from).
    /// </summary>
    public void ExposeExecutable(string path, IReadOnlyList<string> libraries)
    {
        Expose(path);
        foreach (var library in libraries)
            ExposeDirectoryOf(library);
    }

    /// <summary>Follows <paramref name="path"/> component by component, recording each symlink met; returns the real path.</summary>
    private string Walk(string path)
    {
        if (!Path.IsPathRooted(path))
            throw new ArgumentException($"{path}: the jail needs absolute paths");
        var pending = new Queue<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries));
        var current = "";
        int followed = 0;
        while (pending.Count > 0)
        {
            var part = pending.Dequeue();
            if (part == ".")
                continue;
            if (part == "..")
            {
                current = current.Length == 0 ? "" : current[..current.LastIndexOf('/')];
                continue;
            }
            var candidate = current + "/" + part;
            var info = new FileInfo(candidate);
            if (info.LinkTarget is not { } target)
            {
                current = candidate;
                continue;
            }
            if (++followed > MaxSymlinks)
                throw new HypervisorException($"{path}: too many symlinks");
            if (_links.Add(candidate))
                _symlinks.Add((target, candidate));
            // a relative target continues from the link's directory, an absolute one from the root
            var rest = pending.ToArray();
            pending.Clear();
            if (target.StartsWith('/'))
                current = "";
            foreach (var p in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Concat(rest))
                pending.Enqueue(p);
        }
        if (current.Length == 0)
            throw new HypervisorException($"{path}: the root itself cannot be bound into a jail");
        if (!Path.Exists(current))
            throw new HypervisorException($"{path}: {current} does not exist");
        return current;
    }

    private void AddBind(string real)
    {
        if (_binds.Any(b => real == b || real.StartsWith(b + "/", StringComparison.Ordinal)))
            return; // inside a directory that is bound already
        _binds.RemoveAll(b => b.StartsWith(real + "/", StringComparison.Ordinal));
        _binds.Add(real);
        if (_links.Any(l => real.StartsWith(l + "/", StringComparison.Ordinal) || real == l))
            throw new HypervisorException($"{real}: would be bound below a symlink of the jail");
    }
}
