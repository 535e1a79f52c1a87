namespace SandboxRt.Interop;

/// <summary>inotify event and watch flags from linux/inotify.h.</summary>
[Flags]
public enum InotifyMask : uint
{
    None = 0,
    Access = 0x1,
    Modify = 0x2,
    Attrib = 0x4,
    CloseWrite = 0x8,
    CloseNoWrite = 0x10,
    Open = 0x20,
    MovedFrom = 0x40,
    MovedTo = 0x80,
    Create = 0x100,
    Delete = 0x200,
    DeleteSelf = 0x400,
    MoveSelf = 0x800,
    Unmount = 0x2000,       // IN_UNMOUNT: the file system was unmounted
    QueueOverflow = 0x4000, // IN_Q_OVERFLOW: events were lost
    Ignored = 0x8000,       // IN_IGNORED: the watch is gone (removed, or the file was deleted)
    OnlyDir = 0x01000000,
    DontFollow = 0x02000000,
    ExclUnlink = 0x04000000,
    MaskCreate = 0x10000000,
    MaskAdd = 0x20000000,
    IsDir = 0x40000000,
    OneShot = 0x80000000,
}
