namespace SandboxRt.Oci.Spec;

public sealed class LinuxPids
{
    public long Limit { get; set; }
}
