using SandboxRt.Interop;

namespace SandboxRt.Oci.Validation;

/// <summary>
/// An OCI mount's options split the way mount(8) and runc split them: flags for mount(2), propagation
/// changes (applied by separate mount calls), and everything else as the data string (mode=755, size=64k).
/// <see cref="CopyUp"/> is runc's "tmpcopyup" extension: a tmpfs starts with a copy of what the directory it covers held.
/// </summary>
public sealed record MountOptions(MountFlags Flags, MountFlags ClearedFlags, IReadOnlyList<MountFlags> Propagation, string Data, bool CopyUp = false)
{
    private static readonly Dictionary<string, (MountFlags Set, MountFlags Clear)> FlagTable = new(StringComparer.Ordinal)
    {
        ["ro"] = (MountFlags.ReadOnly, 0), ["rw"] = (0, MountFlags.ReadOnly),
        ["nosuid"] = (MountFlags.NoSuid, 0), ["suid"] = (0, MountFlags.NoSuid),
        ["nodev"] = (MountFlags.NoDev, 0), ["dev"] = (0, MountFlags.NoDev),
        ["noexec"] = (MountFlags.NoExec, 0), ["exec"] = (0, MountFlags.NoExec),
        ["sync"] = (MountFlags.Synchronous, 0), ["async"] = (0, MountFlags.Synchronous),
        ["dirsync"] = (MountFlags.DirSync, 0),
        ["remount"] = (MountFlags.Remount, 0),
        ["mand"] = (MountFlags.Mandlock, 0), ["nomand"] = (0, MountFlags.Mandlock),
        ["noatime"] = (MountFlags.NoAtime, 0), ["atime"] = (0, MountFlags.NoAtime),
        ["nodiratime"] = (MountFlags.NoDirAtime, 0), ["diratime"] = (0, MountFlags.NoDirAtime),
        ["relatime"] = (MountFlags.RelAtime, 0), ["norelatime"] = (0, MountFlags.RelAtime),
        ["strictatime"] = (MountFlags.StrictAtime, 0), ["nostrictatime"] = (0, MountFlags.StrictAtime),
        ["lazytime"] = (MountFlags.LazyTime, 0), ["nolazytime"] = (0, MountFlags.LazyTime),
        ["nosymfollow"] = (MountFlags.NoSymfollow, 0), ["symfollow"] = (0, MountFlags.NoSymfollow),
        ["bind"] = (MountFlags.Bind, 0), ["rbind"] = (MountFlags.Bind | MountFlags.Recursive, 0),
        ["defaults"] = (0, 0),
    };

    private static readonly Dictionary<string, MountFlags> PropagationTable = new(StringComparer.Ordinal)
    {
        ["private"] = MountFlags.Private, ["rprivate"] = MountFlags.Private | MountFlags.Recursive,
        ["shared"] = MountFlags.Shared, ["rshared"] = MountFlags.Shared | MountFlags.Recursive,
        ["slave"] = MountFlags.Slave, ["rslave"] = MountFlags.Slave | MountFlags.Recursive,
        ["unbindable"] = MountFlags.Unbindable, ["runbindable"] = MountFlags.Unbindable | MountFlags.Recursive,
    };

    public static MountOptions Parse(IEnumerable<string>? options)
    {
        MountFlags flags = 0, cleared = 0;
        var propagation = new List<MountFlags>();
        var data = new List<string>();
        bool copyUp = false;
        foreach (var option in options ?? [])
        {
            if (FlagTable.TryGetValue(option, out var f))
            {
                flags = (flags & ~f.Clear) | f.Set;
                cleared = (cleared & ~f.Set) | f.Clear;
            }
            else if (PropagationTable.TryGetValue(option, out var p))
                propagation.Add(p);
            else if (option == "tmpcopyup")
                copyUp = true;
            else if (option is "rro" or "rrw" or "idmap" or "ridmap")
                continue; // runc extensions with no meaning here
            else
                data.Add(option);
        }
        return new MountOptions(flags, cleared, propagation, string.Join(',', data), copyUp);
    }

    /// <summary>The flags a bind mount must be remounted with (bind ignores them on the first call).</summary>
    public MountFlags RemountFlags => Flags & (MountFlags.ReadOnly | MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec
        | MountFlags.NoAtime | MountFlags.NoDirAtime | MountFlags.RelAtime | MountFlags.StrictAtime | MountFlags.NoSymfollow);
}
