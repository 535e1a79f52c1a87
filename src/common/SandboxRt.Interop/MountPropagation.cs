namespace SandboxRt.Interop;

/// <summary>A mount's propagation type, as mount_setattr's propagation field takes it (the MS_* values).</summary>
public enum MountPropagation : ulong
{
    Unchanged = 0,
    Unbindable = 1 << 17, // MS_UNBINDABLE
    Private = 1 << 18,    // MS_PRIVATE
    Slave = 1 << 19,      // MS_SLAVE
    Shared = 1 << 20,     // MS_SHARED
}
