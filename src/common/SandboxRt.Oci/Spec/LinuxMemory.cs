namespace SandboxRt.Oci.Spec;

public sealed class LinuxMemory
{
    public long? Limit { get; set; }
    public long? Reservation { get; set; }
    public long? Swap { get; set; }
    public long? Kernel { get; set; }
    public long? KernelTCP { get; set; }
    public ulong? Swappiness { get; set; }
    public bool? DisableOOMKiller { get; set; }
    public bool? UseHierarchy { get; set; }
    public bool? CheckBeforeUpdate { get; set; }
}
