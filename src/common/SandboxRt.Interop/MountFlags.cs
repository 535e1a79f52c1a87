namespace SandboxRt.Interop;

/// <summary>mount(2) flags from linux/mount.h.</summary>
[Flags]
public enum MountFlags : ulong
{
    None = 0,
    ReadOnly = 1,             // MS_RDONLY
    NoSuid = 2,               // MS_NOSUID
    NoDev = 4,                // MS_NODEV
    NoExec = 8,               // MS_NOEXEC
    Synchronous = 16,         // MS_SYNCHRONOUS
    Remount = 32,             // MS_REMOUNT
    Mandlock = 64,            // MS_MANDLOCK
    DirSync = 128,            // MS_DIRSYNC
    NoSymfollow = 256,        // MS_NOSYMFOLLOW
    NoAtime = 1024,           // MS_NOATIME
    NoDirAtime = 2048,        // MS_NODIRATIME
    Bind = 4096,              // MS_BIND
    Move = 8192,              // MS_MOVE
    Recursive = 16384,        // MS_REC
    Silent = 32768,           // MS_SILENT
    Unbindable = 1 << 17,     // MS_UNBINDABLE
    Private = 1 << 18,        // MS_PRIVATE
    Slave = 1 << 19,          // MS_SLAVE
    Shared = 1 << 20,         // MS_SHARED
    RelAtime = 1 << 21,       // MS_RELATIME
    StrictAtime = 1 << 24,    // MS_STRICTATIME
    LazyTime = 1 << 25,       // MS_LAZYTIME
}
