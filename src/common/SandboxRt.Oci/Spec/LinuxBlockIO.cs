namespace SandboxRt.Oci.Spec;

public sealed class LinuxBlockIO
{
    public ushort? Weight { get; set; }
    public ushort? LeafWeight { get; set; }
    public List<LinuxWeightDevice>? WeightDevice { get; set; }
    public List<LinuxThrottleDevice>? ThrottleReadBpsDevice { get; set; }
    public List<LinuxThrottleDevice>? ThrottleWriteBpsDevice { get; set; }
    public List<LinuxThrottleDevice>? ThrottleReadIOPSDevice { get; set; }
    public List<LinuxThrottleDevice>? ThrottleWriteIOPSDevice { get; set; }
}
