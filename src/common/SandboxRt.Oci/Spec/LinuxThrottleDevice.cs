namespace SandboxRt.Oci.Spec;

public sealed class LinuxThrottleDevice
{
    public long Major { get; set; }
    public long Minor { get; set; }
    public ulong Rate { get; set; }
}
