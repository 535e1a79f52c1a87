namespace SandboxRt.Oci.Spec;

public sealed class LinuxWeightDevice
{
    public long Major { get; set; }
    public long Minor { get; set; }
    public ushort? Weight { get; set; }
    public ushort? LeafWeight { get; set; }
}
