namespace SandboxRt.Interop;

/// <summary>openat2(2) resolve flags (linux/openat2.h): how a path may be walked.</summary>
[Flags]
public enum ResolveFlags : ulong
{
    None = 0,
    /// <summary>RESOLVE_NO_XDEV: fail (EXDEV) instead of crossing a mount point.</summary>
    NoXdev = 0x01,
    /// <summary>RESOLVE_NO_MAGICLINKS: no /proc/*/fd-style links.</summary>
    NoMagicLinks = 0x02,
    /// <summary>RESOLVE_NO_SYMLINKS: fail (ELOOP) on any symlink, in any component.</summary>
    NoSymlinks = 0x04,
    /// <summary>RESOLVE_BENEATH: fail (EXDEV) on ".." or an absolute path leaving the starting directory.</summary>
    Beneath = 0x08,
    /// <summary>RESOLVE_IN_ROOT: treat the starting directory as the root.</summary>
    InRoot = 0x10,

    /// <summary>What every walk inside a tree the guest may have touched uses: beneath, no link of any kind.</summary>
    Strict = Beneath | NoSymlinks | NoMagicLinks,
}
