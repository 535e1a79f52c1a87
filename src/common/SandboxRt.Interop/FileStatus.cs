namespace SandboxRt.Interop;

/// <summary>What statx(2) says about one file: its type and permission bits, owner, and the mount it is on.</summary>
public readonly record struct FileStatus(uint Mode, uint Uid, ulong MountId, bool IsMountRoot)
{
    private const uint S_IFMT = 0xF000, S_IFDIR = 0x4000, S_IFREG = 0x8000, S_IFLNK = 0xA000;

    public bool IsDirectory => (Mode & S_IFMT) == S_IFDIR;
    public bool IsRegularFile => (Mode & S_IFMT) == S_IFREG;
    public bool IsSymlink => (Mode & S_IFMT) == S_IFLNK;

    /// <summary>The permission bits (including setuid, setgid, sticky).</summary>
    public uint Permissions => Mode & 0xFFF;
}
