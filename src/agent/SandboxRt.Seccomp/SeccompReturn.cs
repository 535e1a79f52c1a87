namespace SandboxRt.Seccomp;

/// <summary>
/// The values a seccomp filter returns (SECCOMP_RET_* in linux/seccomp.h): the action in the high 16 bits,
/// its data (an errno, a tracer's message) in the low 16.
/// </summary>
public static class SeccompReturn
{
    public const uint KillProcess = 0x80000000;
    public const uint KillThread = 0x00000000;
    public const uint Trap = 0x00030000;
    public const uint Errno = 0x00050000;
    public const uint Trace = 0x7ff00000;
    public const uint Log = 0x7ffc0000;
    public const uint Allow = 0x7fff0000;

    /// <summary>SECCOMP_RET_ACTION_FULL: the action part of a return value.</summary>
    public const uint ActionMask = 0xffff0000;

    /// <summary>SECCOMP_RET_DATA: the data part of a return value.</summary>
    public const uint DataMask = 0x0000ffff;
}
