namespace SandboxRt.Oci.Spec;

public sealed class ConsoleSize
{
    public uint Height { get; set; }
    public uint Width { get; set; }
}
