namespace SandboxRt.Interop;

/// <summary>What statx(2) says about one file: its type and permission bits, owner, and the mount it is on.</summary>
public readonly record struct FileStatus(uint Mode, uint Uid, ulong MountId, bool IsMountRoot)
{
    private const uint S_IFMT = 0xF000, S_IFDIR = 0x4000, S_IFREG = 0x8000, S_IFLNK = 0xA000,
        S_IFSOCK = 0xC000, S_IFIFO = 0x1000, S_IFCHR = 0x2000, S_IFBLK = 0x6000;

    public bool IsDirectory => (Mode & S_IFMT) == S_IFDIR;
    public bool IsRegularFile => (Mode & S_IFMT) == S_IFREG;
    public bool IsSymlink => (Mode & S_IFMT) == S_IFLNK;
    public bool IsSocket => (Mode & S_IFMT) == S_IFSOCK;
    public bool IsFifo => (Mode & S_IFMT) == S_IFIFO;
    public bool IsDevice => (Mode & S_IFMT) is S_IFCHR or S_IFBLK;

    /// <summary>What kind of file this is, in words ("a directory", "a unix socket", ...).</summary>
    public string Kind => (Mode & S_IFMT) switch
    {
        S_IFDIR => "a directory",
        S_IFREG => "a regular file",
        S_IFLNK => "a symbolic link",
        S_IFSOCK => "a unix socket",
        S_IFIFO => "a FIFO",
        S_IFCHR => "a character device",
        S_IFBLK => "a block device",
        var type => $"a file of type {type >> 12}",
    };

    /// <summary>The permission bits (including setuid, setgid, sticky).</summary>
    public uint Permissions => Mode & 0xFFF;
}
