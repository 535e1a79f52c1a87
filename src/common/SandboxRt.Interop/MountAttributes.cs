namespace SandboxRt.Interop;

/// <summary>Mount attributes of the new mount API (MOUNT_ATTR_* in linux/mount.h), for fsmount and mount_setattr.</summary>
[Flags]
public enum MountAttributes : ulong
{
    None = 0,
    ReadOnly = 0x01,       // MOUNT_ATTR_RDONLY
    NoSuid = 0x02,         // MOUNT_ATTR_NOSUID
    NoDev = 0x04,          // MOUNT_ATTR_NODEV
    NoExec = 0x08,         // MOUNT_ATTR_NOEXEC
    NoDirAtime = 0x80,     // MOUNT_ATTR_NODIRATIME
    NoSymfollow = 0x200000, // MOUNT_ATTR_NOSYMFOLLOW
}
